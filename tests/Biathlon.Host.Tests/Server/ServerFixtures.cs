using System.Text.Json.Nodes;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// Every server test class belongs to this collection, so they run one after another (their timings and load figures
/// mean nothing while another server test competes for the cores) and share one <see cref="MainServer"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<MainServer>
{
    public const string Name = "Scoring server";
}

/// <summary>A server and the pipelines folder it serves, started once for the tests that share it.</summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private ServerHost? _host;

    private protected PipelineStage Stage { get; } = new();

    internal ServerHost Host => _host ?? throw new InvalidOperationException("The server has not started.");

    internal HttpClient Client => Host.Client;

    public async Task InitializeAsync()
    {
        try
        {
            _host = await ServerHost.StartAsync(Arguments());
        }
        catch
        {
            Stage.Dispose(); // a fixture that failed to start is not disposed
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        Stage.Dispose();
    }

    /// <summary>The server's command line; builds the stage first.</summary>
    protected abstract IEnumerable<string> Arguments();

    /// <summary>Serve <see cref="Stage"/>, reading tables from the real data.</summary>
    private protected IEnumerable<string> StageArguments() =>
        [$"--Biathlon:PipelinesFolder={Stage.Folder}", $"--Biathlon:DataDirectory={RealData.Directory}"];
}

/// <summary>
/// The server most tests use, with the default limits and no API keys: sensor-anomaly as trained, but with the exact
/// shortcut off so every answer replays exactly (<see cref="TestPipelines.Replayable"/>), and flight-delay as trained.
/// </summary>
public sealed class MainServer : ServerFixture
{
    /// <summary>The staged sensor-anomaly folder (a shadow of the same spec can point at it).</summary>
    public string SensorFolder => Stage.PathOf(TestPipelines.Sensor);

    protected override IEnumerable<string> Arguments()
    {
        Stage.Copy(TestPipelines.Sensor, TestPipelines.Replayable).Link(TestPipelines.Flight);
        return StageArguments();
    }

    /// <summary>The 200 body of predicting <paramref name="request"/> on sensor-anomaly here: the reference answer.</summary>
    internal Task<JsonObject> ReferenceAsync(JsonObject request) => Api.PredictAsync(Client, TestPipelines.Sensor, request);
}
