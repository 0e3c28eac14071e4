using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Biathlon.Host.Tests.Store;

/// <summary>
/// The shared Redis fixtures (tests/Shared/RedisServers.cs) against Debian's real redis-server: a node that answers,
/// loses its data on a crash and comes back on the same port; a 3-master cluster with every slot assigned; and a
/// dispose that leaves no process, no listener and no folder behind. A missing redis-server fails these tests (it is
/// never a skip): .ci/run installs it.
/// </summary>
public sealed class RedisFixtureTests
{
    [Fact]
    public async Task A_node_answers_round_trips_a_key_refuses_connections_when_killed_and_answers_again_after_a_restart()
    {
        await using var server = await RedisServer.StartAsync();
        Assert.Equal("127.0.0.1:" + server.Port.ToString(CultureInfo.InvariantCulture), server.Endpoint);
        Assert.Contains(server.ProcessId, RedisChildren());
        Assert.Equal("+PONG\r\n", await server.CommandAsync("PING"));

        // Non-ASCII text: a bulk string's length counts UTF-8 bytes, so a fixture counting characters would fail here.
        const string Value = "Biathlon à Östersund";
        Assert.Equal("+OK\r\n", await server.CommandAsync("SET", "greeting", Value));
        Assert.Equal($"${Encoding.UTF8.GetByteCount(Value)}\r\n{Value}\r\n", await server.CommandAsync("GET", "greeting"));
        Assert.Equal("$-1\r\n", await server.CommandAsync("GET", "missing"));
        Assert.Equal(":1\r\n", await server.CommandAsync("DBSIZE"));
        var info = await server.CommandAsync("INFO", "server");
        Assert.Contains($"tcp_port:{server.Port}\r\n", info, StringComparison.Ordinal);
        Assert.Contains("redis_mode:standalone\r\n", info, StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await server.CommandAsync("NO-SUCH-COMMAND"), StringComparison.Ordinal);

        var crashed = server.ProcessId;
        server.Kill();
        Assert.True(server.HasExited);
        Assert.DoesNotContain(crashed, RedisChildren());
        var refused = await Assert.ThrowsAsync<SocketException>(() => server.CommandAsync("PING"));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        var port = server.Port;
        await server.RestartAsync();
        Assert.Equal(port, server.Port);
        Assert.NotEqual(crashed, server.ProcessId);
        Assert.Equal("+PONG\r\n", await server.CommandAsync("PING"));
        Assert.Contains($"tcp_port:{port}\r\n", await server.CommandAsync("INFO", "server"), StringComparison.Ordinal);

        // Nothing is persisted: the restarted server starts empty.
        Assert.Equal("$-1\r\n", await server.CommandAsync("GET", "greeting"));
        Assert.Equal(":0\r\n", await server.CommandAsync("DBSIZE"));
    }

    [Fact]
    public async Task Three_masters_form_a_cluster_with_every_slot_assigned_and_each_key_served_by_one_node()
    {
        var cluster = await RedisCluster.StartAsync();
        int[] pids;
        int[] ports;
        try
        {
            Assert.Equal(3, cluster.Nodes.Count);
            ports = [.. cluster.Nodes.Select(n => n.Port)];
            pids = [.. cluster.Nodes.Select(n => n.ProcessId)];
            Assert.Equal(3, ports.Distinct().Count());
            Assert.Equal(string.Join(',', cluster.Nodes.Select(n => "127.0.0.1:" + n.Port)), cluster.ConnectionString);

            foreach (var node in cluster.Nodes)
            {
                var info = await node.CommandAsync("CLUSTER", "INFO");
                Assert.Contains("cluster_state:ok\r\n", info, StringComparison.Ordinal);
                Assert.Contains("cluster_known_nodes:3\r\n", info, StringComparison.Ordinal);
                Assert.Contains("cluster_slots_assigned:16384\r\n", info, StringComparison.Ordinal);
                Assert.Contains("cluster_size:3\r\n", info, StringComparison.Ordinal);
            }

            // A real cluster, not three lone nodes: one node takes the key, the other two redirect to it.
            var accepted = new List<string>();
            var redirects = new List<string>();
            foreach (var node in cluster.Nodes)
            {
                var reply = await node.CommandAsync("SET", "biathlon", "1");
                (reply == "+OK\r\n" ? accepted : redirects).Add(reply == "+OK\r\n" ? node.Endpoint : reply);
            }

            var owner = Assert.Single(accepted);
            Assert.Equal(2, redirects.Count);
            Assert.All(redirects, r => Assert.Matches($@"^-MOVED \d+ {owner.Replace(".", @"\.", StringComparison.Ordinal)}\r\n$", r));
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        var children = RedisChildren();
        foreach (var (pid, port) in pids.Zip(ports))
        {
            Assert.DoesNotContain(pid, children);
            await AssertRefusedAsync(port);
        }
    }

    [Fact]
    public async Task Dispose_stops_the_node_closes_its_port_leaves_no_child_and_deletes_its_folder()
    {
        var server = await RedisServer.StartAsync();
        var (pid, port, folder) = (server.ProcessId, server.Port, server.Directory);
        Assert.Contains(pid, RedisChildren());
        Assert.True(File.Exists(Path.Combine(folder, "redis.log")));

        await server.DisposeAsync();
        Assert.True(server.HasExited);
        Assert.DoesNotContain(pid, RedisChildren());
        Assert.False(Directory.Exists(folder), $"{folder} is still there");
        await AssertRefusedAsync(port);

        // A second dispose (an await using after an explicit one) is harmless.
        await server.DisposeAsync();
    }

    private static async Task AssertRefusedAsync(int port)
    {
        using var client = new TcpClient();
        var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync("127.0.0.1", port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    /// <summary>
    /// The ids of this test host's redis-server children, zombies included (a child that exited but was never waited
    /// for still has its /proc entry, named and parented as before). Other tests may run servers in parallel, so the
    /// tests look for their own ids in it, never for an empty set.
    /// </summary>
    private static HashSet<int> RedisChildren()
    {
        var children = new HashSet<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(entry, "stat"));
            }
            catch (IOException)
            {
                continue; // the process ended while we looked
            }

            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so the fields after it are found from
            // the last ')'.
            var close = stat.LastIndexOf(')');
            var comm = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..close];
            var ppid = int.Parse(stat[(close + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            if (comm == "redis-server" && ppid == Environment.ProcessId)
            {
                children.Add(pid);
            }
        }

        return children;
    }
}
