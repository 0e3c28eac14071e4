using System.Net;
using System.Net.Http.Headers;
using Biathlon.Host.Security;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// A server with API keys: sensor-anomaly and a second pipeline (sensor-anomaly again, served as "sensor-twin", so that
/// scoping has something to keep out), and three keys configured by their SHA-256 only.
/// </summary>
public sealed class AuthServer : ServerFixture
{
    public const string Twin = "sensor-twin";

    /// <summary>Predict role on sensor-anomaly only.</summary>
    public const string PredictKey = "test-predict-key-6f1c2a";

    /// <summary>Admin role only, every pipeline.</summary>
    public const string AdminKey = "test-admin-key-93be07";

    /// <summary>Predict and admin on every pipeline (scoped by leaving Pipelines out).</summary>
    public const string AllKey = "test-all-key-51d4e8";

    protected override IEnumerable<string> Arguments()
    {
        Stage.Link(TestPipelines.Sensor).Link(TestPipelines.Sensor, Twin);
        return
        [
            .. StageArguments(),
            "--Biathlon:ApiKeys:0:Name=predictor",
            $"--Biathlon:ApiKeys:0:Sha256={ApiKeyStore.Hash(PredictKey)}",
            "--Biathlon:ApiKeys:0:Roles:0=predict",
            $"--Biathlon:ApiKeys:0:Pipelines:0={TestPipelines.Sensor}",
            "--Biathlon:ApiKeys:1:Name=operator",
            $"--Biathlon:ApiKeys:1:Sha256={ApiKeyStore.Hash(AdminKey).ToUpperInvariant()}",
            "--Biathlon:ApiKeys:1:Roles:0=admin",
            "--Biathlon:ApiKeys:2:Name=everything",
            $"--Biathlon:ApiKeys:2:Sha256={ApiKeyStore.Hash(AllKey)}",
            "--Biathlon:ApiKeys:2:Roles:0=predict",
            "--Biathlon:ApiKeys:2:Roles:1=admin",
        ];
    }
}

/// <summary>API keys over HTTP: 401 without a known key, 403 outside its role or pipelines, and listing only what a key may use.</summary>
[Collection(ServerCollection.Name)]
public sealed class AuthTests(AuthServer server) : IClassFixture<AuthServer>
{
    public enum Presented
    {
        Bearer,
        XApiKey,
    }

    [Fact]
    public async Task No_key_is_a_401_on_every_protected_endpoint()
    {
        foreach (var (method, path) in ProtectedEndpoints(TestPipelines.Sensor))
        {
            using var response = await SendAsync(method, path, key: null);
            var problem = await Api.AssertProblemAsync(response, 401, field: null);
            Assert.Contains("API key", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(Presented.Bearer)]
    [InlineData(Presented.XApiKey)]
    public async Task Unknown_key_is_a_401(Presented how)
    {
        foreach (var (method, path) in ProtectedEndpoints(TestPipelines.Sensor))
        {
            using var response = await SendAsync(method, path, "not-a-configured-key", how);
            await Api.AssertProblemAsync(response, 401, field: null);
        }
    }

    [Theory]
    [InlineData(Presented.Bearer)]
    [InlineData(Presented.XApiKey)]
    public async Task Predict_key_predicts_on_its_pipeline(Presented how)
    {
        using var response = await SendAsync(HttpMethod.Post, Api.PredictPath(TestPipelines.Sensor), AuthServer.PredictKey, how);
        var body = await Api.OkJsonAsync(response);
        Assert.Equal(TestPipelines.Sensor, body["pipeline"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(AuthServer.Twin)] // served, outside the key's pipelines
    [InlineData(TestPipelines.Flight)] // not served here: the key learns nothing about what is
    public async Task Predict_key_on_another_pipeline_is_a_403(string pipeline)
    {
        foreach (var (method, path) in ProtectedEndpoints(pipeline).Where(e => !e.Path.Contains("reload", StringComparison.Ordinal) && e.Path != "v1/pipelines"))
        {
            using var response = await SendAsync(method, path, AuthServer.PredictKey);
            var problem = await Api.AssertProblemAsync(response, 403, field: null);
            Assert.Contains("predictor", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Predict_key_on_reload_is_a_403_and_the_version_stays()
    {
        var before = await VersionAsync(TestPipelines.Sensor);
        using var response = await SendAsync(HttpMethod.Post, ReloadPath(TestPipelines.Sensor), AuthServer.PredictKey);
        await Api.AssertProblemAsync(response, 403, field: null);
        Assert.Equal(before, await VersionAsync(TestPipelines.Sensor));
    }

    [Fact]
    public async Task Admin_key_reloads_but_may_not_predict()
    {
        var before = await VersionAsync(TestPipelines.Sensor);
        using (var response = await SendAsync(HttpMethod.Post, ReloadPath(TestPipelines.Sensor), AuthServer.AdminKey))
        {
            var reloaded = await Api.OkJsonAsync(response);
            Assert.Equal(before + 1, reloaded["version"]!.GetValue<long>());
        }

        Assert.Equal(before + 1, await VersionAsync(TestPipelines.Sensor));
        using var predict = await SendAsync(HttpMethod.Post, Api.PredictPath(TestPipelines.Sensor), AuthServer.AdminKey);
        await Api.AssertProblemAsync(predict, 403, field: null);
    }

    [Fact]
    public async Task List_shows_only_the_pipelines_the_key_may_use()
    {
        using (var scoped = await SendAsync(HttpMethod.Get, "v1/pipelines", AuthServer.PredictKey))
        {
            var names = (await Api.OkJsonAsync(scoped))["pipelines"]!.AsArray().Select(p => p!["name"]!.GetValue<string>());
            Assert.Equal([TestPipelines.Sensor], names);
        }

        using (var all = await SendAsync(HttpMethod.Get, "v1/pipelines", AuthServer.AllKey))
        {
            var names = (await Api.OkJsonAsync(all))["pipelines"]!.AsArray().Select(p => p!["name"]!.GetValue<string>());
            Assert.Equal([TestPipelines.Sensor, AuthServer.Twin], names);
        }

        using var admin = await SendAsync(HttpMethod.Get, "v1/pipelines", AuthServer.AdminKey);
        await Api.AssertProblemAsync(admin, 403, field: null);
    }

    [Fact]
    public async Task Health_endpoints_need_no_key()
    {
        foreach (var path in new[] { "healthz", "readyz" })
        {
            using var response = await server.Client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static IEnumerable<(HttpMethod Method, string Path)> ProtectedEndpoints(string pipeline) =>
    [
        (HttpMethod.Post, Api.PredictPath(pipeline)),
        (HttpMethod.Post, Api.PredictPath(pipeline, "predict-batch")),
        (HttpMethod.Post, Api.PredictPath(pipeline, "predict-exact")),
        (HttpMethod.Get, "v1/pipelines"),
        (HttpMethod.Get, $"v1/pipelines/{pipeline}"),
        (HttpMethod.Post, ReloadPath(pipeline)),
    ];

    private static string ReloadPath(string pipeline) => $"v1/admin/pipelines/{pipeline}/reload";

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key, Presented how = Presented.Bearer)
    {
        using var message = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (method == HttpMethod.Post && !path.Contains("reload", StringComparison.Ordinal))
        {
            var body = path.EndsWith("-batch", StringComparison.Ordinal)
                ? Api.BatchBody([TestPipelines.SensorSelfTest])
                : Api.Body(TestPipelines.SensorSelfTest);
            message.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            if (how == Presented.Bearer)
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
            else
            {
                message.Headers.Add("X-Api-Key", key);
            }
        }

        return await server.Client.SendAsync(message);
    }

    private async Task<long> VersionAsync(string pipeline)
    {
        using var response = await SendAsync(HttpMethod.Get, $"v1/pipelines/{pipeline}", AuthServer.AllKey);
        return (await Api.OkJsonAsync(response))["version"]!.GetValue<long>();
    }
}
