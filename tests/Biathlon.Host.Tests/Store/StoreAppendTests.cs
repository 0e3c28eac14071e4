using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Biathlon.Host.Security;
using Biathlon.Host.Tests.Server;

namespace Biathlon.Host.Tests.Store;

/// <summary>
/// A server with API keys over one Redis: the Redis sensor-anomaly pipeline and, for contrast, the same pipeline with
/// its table in process ("sensor-local").
/// </summary>
public sealed class AppendServer : IAsyncLifetime
{
    public const string Local = "sensor-local";

    /// <summary>Admin role on every pipeline.</summary>
    public const string AdminKey = "store-admin-key-0c7e41";

    /// <summary>Predict role only.</summary>
    public const string PredictKey = "store-predict-key-5a92d3";

    /// <summary>Admin role, but on sensor-local only.</summary>
    public const string LocalAdminKey = "store-local-admin-key-e83f10";

    private RedisServer? _redis;
    private RedisSensorStage? _stage;
    private StoreServer? _server;

    internal StoreServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _stage = new RedisSensorStage();
        _stage.Stage.Copy(TestPipelines.Sensor, TestPipelines.Replayable, Local);
        await _stage.UploadAsync(_redis.Endpoint);
        _server = await StoreServer.StartAsync(_stage.ServerArguments(
            _redis.Endpoint,
            "--Biathlon:Limits:MaxBodyBytes=65536",
            "--Biathlon:ApiKeys:0:Name=operator",
            $"--Biathlon:ApiKeys:0:Sha256={ApiKeyStore.Hash(AdminKey)}",
            "--Biathlon:ApiKeys:0:Roles:0=predict",
            "--Biathlon:ApiKeys:0:Roles:1=admin",
            "--Biathlon:ApiKeys:1:Name=predictor",
            $"--Biathlon:ApiKeys:1:Sha256={ApiKeyStore.Hash(PredictKey)}",
            "--Biathlon:ApiKeys:1:Roles:0=predict",
            "--Biathlon:ApiKeys:2:Name=local-operator",
            $"--Biathlon:ApiKeys:2:Sha256={ApiKeyStore.Hash(LocalAdminKey)}",
            "--Biathlon:ApiKeys:2:Roles:0=admin",
            $"--Biathlon:ApiKeys:2:Pipelines:0={Local}"));
        await _server.WaitForStatusAsync("ready", TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _stage?.Dispose();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

/// <summary>
/// <c>POST /v1/pipelines/{name}/tables/{table}/rows</c>: admin role only; bad input is a 400 naming the field, and
/// applies nothing (not even the batch id); unknown pipelines 404; tables that are not Redis tables 400; a batch id
/// applies once.
/// </summary>
[Collection(StoreCollection.Name)]
public sealed class StoreAppendTests(AppendServer server) : IClassFixture<AppendServer>
{
    private const string Valid = """{"reading": 480, "mote_id": 2, "indoor": 0, "humidity": 40.5, "temperature": 21.25, "label": 0}""";

    private static readonly string s_path = RowsPath(RedisSensorStage.Pipeline, RedisSensorStage.Table);

    [Fact]
    public async Task Only_an_admin_key_on_the_pipeline_may_append()
    {
        var body = """{"batchId": "roles", "rows": [""" + Valid + "]}";
        using (var none = await PostAsync(s_path, body, key: null))
        {
            await Api.AssertProblemAsync(none, 401, field: null);
        }

        using (var unknown = await PostAsync(s_path, body, "not-a-configured-key"))
        {
            await Api.AssertProblemAsync(unknown, 401, field: null);
        }

        using (var predictor = await PostAsync(s_path, body, AppendServer.PredictKey))
        {
            var problem = await Api.AssertProblemAsync(predictor, 403, field: null);
            Assert.Contains("predictor", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("admin", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        using (var elsewhere = await PostAsync(s_path, body, AppendServer.LocalAdminKey))
        {
            await Api.AssertProblemAsync(elsewhere, 403, field: null);
        }

        // None of them appended anything: the batch id is still new.
        var appended = await AppendOkAsync(body);
        Assert.True(appended["applied"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("""{"rows": [ROW]}""", "batchId")]
    [InlineData("""{"batchId": 7, "rows": [ROW]}""", "batchId")]
    [InlineData("""{"batchId": "   ", "rows": [ROW]}""", "batchId")]
    [InlineData("""{"batchId": "LONG", "rows": [ROW]}""", "batchId")]
    [InlineData("""{"batchId": "BATCH", "rows": [ROW], "batchId": "other"}""", "batchId")]
    [InlineData("""{"batchId": "BATCH"}""", "rows")]
    [InlineData("""{"batchId": "BATCH", "rows": []}""", "rows")]
    [InlineData("""{"batchId": "BATCH", "rows": {"reading": 1}}""", "rows")]
    [InlineData("""{"batchId": "BATCH", "rows": [ROW, 5]}""", "rows[1]")]
    [InlineData("""{"batchId": "BATCH", "rows": [ROW, {"reading": 481, "mote_id": [2]}]}""", "rows[1].mote_id")]
    [InlineData("""{"batchId": "BATCH", "rows": [ROW, {"reading": 481, "mote_id": 2, "indoor": 0, "temperature": "hot"}]}""", "rows[1].temperature")]
    [InlineData("""{"batchId": "BATCH", "rows": [{"reading": 481, "mote_id": 2.5, "indoor": 0}]}""", "rows[0].mote_id")]
    [InlineData("""{"batchId": "BATCH", "rows": [{"reading": 481, "mote_id": 2, "indoor": true}]}""", "rows[0].indoor")]
    [InlineData("""{"batchId": "BATCH", "rows": [ROW, {"mote_id": 2, "indoor": 0, "temperature": 20.0}]}""", "rows[1].reading")]
    [InlineData("""{"batchId": "BATCH", "rows": [{"reading": 481, "mote_id": 2, "nosuch": 1}]}""", "rows[0].nosuch")]
    [InlineData("""{"batchId": "BATCH", "rows": [ROW], "extra": 1}""", "extra")]
    [InlineData("""{"batchId": "BATCH", "rows": [ROW]""", "body")]
    [InlineData("""[ROW]""", "body")]
    public async Task Bad_input_is_a_400_naming_the_field_and_applies_nothing(string template, string field)
    {
        var batch = "bad-" + Guid.NewGuid().ToString("n")[..8];
        var body = template.Replace("ROW", Valid, StringComparison.Ordinal).Replace("BATCH", batch, StringComparison.Ordinal)
            .Replace("LONG", new string('b', 201), StringComparison.Ordinal);
        var before = await RowsMatchedAsync();
        using (var response = await PostAsync(s_path, body, AppendServer.AdminKey))
        {
            await Api.AssertProblemAsync(response, 400, field);
        }

        Assert.Equal(before, await RowsMatchedAsync());

        // The refused batch was not recorded: its id still applies once its rows are right.
        var fixedBody = """{"batchId": "BATCH", "rows": [ROW]}""".Replace("ROW", Valid, StringComparison.Ordinal).Replace("BATCH", batch, StringComparison.Ordinal);
        Assert.True((await AppendOkAsync(fixedBody))["applied"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Unknown_pipelines_are_404_tables_that_are_not_Redis_tables_400_and_bodies_are_bounded()
    {
        var body = """{"batchId": "where", "rows": [""" + Valid + "]}";
        using (var unknown = await PostAsync(RowsPath("no-such-pipeline", RedisSensorStage.Table), body, AppendServer.AdminKey))
        {
            await Api.AssertProblemAsync(unknown, 404, "pipeline");
        }

        using (var local = await PostAsync(RowsPath(AppendServer.Local, RedisSensorStage.Table), body, AppendServer.AdminKey))
        {
            var problem = await Api.AssertProblemAsync(local, 400, "table");
            Assert.Contains("redis", problem["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        }

        using (var missing = await PostAsync(RowsPath(RedisSensorStage.Pipeline, "no_such_table"), body, AppendServer.AdminKey))
        {
            await Api.AssertProblemAsync(missing, 400, "table");
        }

        var rows = string.Join(',', Enumerable.Repeat(Valid, 1_000));
        using (var large = await PostAsync(s_path, """{"batchId": "large", "rows": [""" + rows + "]}", AppendServer.AdminKey))
        {
            await Api.AssertProblemAsync(large, 413, "body");
        }

        using var content = new StringContent(body, Encoding.UTF8, "text/plain");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(s_path, UriKind.Relative)) { Content = content };
        request.Headers.Add("X-Api-Key", AppendServer.AdminKey);
        using var text = await server.Server.Json.SendAsync(request);
        await Api.AssertProblemAsync(text, 415, field: null); // refused by routing, as the predict endpoints refuse it
    }

    [Fact]
    public async Task A_batch_applies_once_however_often_it_is_sent()
    {
        var target = new JsonObject { ["mote"] = 3L, ["indoor"] = 0L, ["reading"] = 900L, ["temperature"] = 25.0, ["humidity"] = 40.0 };
        var before = await RowsMatchedAsync(target);
        var body = StoreScaleOutTests.AppendBody("once-" + Guid.NewGuid().ToString("n")[..8], target, count: 3).ToJsonString();

        var first = await AppendOkAsync(body);
        Assert.True(first["applied"]!.GetValue<bool>());
        Assert.Equal(3, first["rows"]!.GetValue<int>());
        Assert.Equal(0, first["censusRows"]!.GetValue<int>());
        var after = await RowsMatchedAsync(target);
        Assert.Equal(before.Select(n => n + 3), after);

        for (var i = 0; i < 2; i++)
        {
            var again = await AppendOkAsync(body);
            Assert.False(again["applied"]!.GetValue<bool>());
            Assert.Equal(first["batchId"]!.GetValue<string>(), again["batchId"]!.GetValue<string>());
            Assert.Equal(after, await RowsMatchedAsync(target));
        }
    }

    private static string RowsPath(string pipeline, string table) => $"v1/pipelines/{pipeline}/tables/{table}/rows";

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return await server.Server.Json.SendAsync(request);
    }

    private async Task<JsonObject> AppendOkAsync(string body)
    {
        using var response = await PostAsync(s_path, body, AppendServer.AdminKey);
        return (await Api.OkJsonAsync(response)).AsObject();
    }

    /// <summary>Each query's matching rows for <paramref name="request"/> (default: the mote the bad-input tests write to), from an exact prediction.</summary>
    private async Task<long[]> RowsMatchedAsync(JsonObject? request = null)
    {
        request ??= new JsonObject { ["mote"] = 2L, ["indoor"] = 0L, ["reading"] = 500L, ["temperature"] = 21.0, ["humidity"] = 40.0 };
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(Api.PredictPath(RedisSensorStage.Pipeline, "predict-exact"), UriKind.Relative))
        {
            Content = new StringContent(Api.Body(request).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        message.Headers.Add("X-Api-Key", AppendServer.AdminKey);
        using var response = await server.Server.Json.SendAsync(message);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var exact = await Api.JsonOf(response);
        return [.. exact["queries"]!.AsArray().Select(q => q!["rowsMatched"]!.GetValue<long>())];
    }
}
