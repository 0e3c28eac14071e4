using System.Diagnostics;
using Biathlon.Experiments.Baselines;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The private ClickHouse server: a clear error when it cannot run, and a server that answers SQL on loopback with one
/// thread per statement and is gone, with its folder, after dispose.
/// </summary>
public sealed class ClickHouseServerTests
{
    [Fact]
    public async Task A_missing_binary_says_how_to_install_the_server()
    {
        var e = await Assert.ThrowsAsync<ClickHouseUnavailableException>(() => ClickHouseServer.StartAsync(binary: "/nonexistent/clickhouse-server"));
        Assert.Contains("install clickhouse-server", e.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/clickhouse-server", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_exits_at_start_is_reported_with_its_exit_code()
    {
        var e = await Assert.ThrowsAsync<ClickHouseUnavailableException>(() => ClickHouseServer.StartAsync(TimeSpan.FromSeconds(30), binary: "/bin/false"));
        Assert.Contains("exited with code 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_answers_on_loopback_and_is_stopped_by_dispose()
    {
        int pid;
        string folder;
        using (var server = await ClickHouseServer.StartAsync(TimeSpan.FromSeconds(120)))
        {
            pid = server.ProcessId;
            folder = server.Folder;
            Assert.True(Directory.Exists(folder));
            Assert.Equal("2\n", await server.QueryAsync("SELECT 1 + 1"));
            Assert.StartsWith("18.16", server.Query("SELECT version()"), StringComparison.Ordinal);
            Assert.Equal("1\n", server.Query("SELECT value FROM system.settings WHERE name = 'max_threads'"));
            var error = Assert.Throws<InvalidOperationException>(() => server.Query("SELECT no_such_column FROM system.one"));
            Assert.Contains("no_such_column", error.Message, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(folder), $"{folder} still exists");
        Assert.True(IsGone(pid), $"clickhouse-server (pid {pid}) still runs");
    }

    private static bool IsGone(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
