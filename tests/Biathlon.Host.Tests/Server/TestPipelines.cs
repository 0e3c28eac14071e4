using System.Globalization;
using System.Text.Json.Nodes;

namespace Biathlon.Host.Tests.Server;

/// <summary>The trained pipelines the server tests serve, and requests for them drawn from the real data.</summary>
internal static class TestPipelines
{
    /// <summary>Small and fast (18,760 readings): most tests use it.</summary>
    public const string Sensor = "sensor-anomaly";

    /// <summary>Three million flights: the tests where the work per call matters.</summary>
    public const string Flight = "flight-delay";

    private static readonly Lazy<JsonObject[]> s_sensorRows = new(ReadSensorRows);

    /// <summary>The repository's pipelines folder.</summary>
    public static string RepositoryPipelines => Path.Combine(RealData.RepositoryRoot, "pipelines");

    /// <summary>pipelines/<paramref name="name"/>, failing with the command that trains it when its model is missing.</summary>
    public static string RequireTrained(string name)
    {
        var folder = Path.Combine(RepositoryPipelines, name);
        if (!File.Exists(Path.Combine(folder, "model.onnx")))
        {
            throw new InvalidOperationException(
                $"pipelines/{name}/model.onnx is missing, so the server tests cannot serve '{name}'. Train it first: "
                + $"dotnet run -c Release --project experiments/Biathlon.Experiments -- prepare --pipeline {name}");
        }

        return folder;
    }

    /// <summary>
    /// Turns off the exact shortcut, whose choice is priced by costs measured from earlier traffic. The engine then plans
    /// from the request alone, so the same request always gets the same answer (its <c>dependsOnMeasuredCosts</c> is
    /// false), which is what lets the tests compare a response with a reference field by field.
    /// </summary>
    public static void Replayable(JsonObject spec) => spec["planner"]!["exactShortcut"] = false;

    /// <summary>
    /// <paramref name="count"/> sensor-anomaly requests from distinct rows of data/real/wsn-multi-hop.csv, chosen by a
    /// generator seeded with <paramref name="seed"/>: <c>{mote, indoor, reading, temperature, humidity}</c>.
    /// </summary>
    public static JsonObject[] SensorRequests(int count, int seed)
    {
        var rows = s_sensorRows.Value;
        var random = new Random(seed);
        var chosen = new HashSet<int>();
        while (chosen.Count < count)
        {
            chosen.Add(random.Next(rows.Length));
        }

        return chosen.Select(i => (JsonObject)rows[i].DeepClone()).ToArray();
    }

    /// <summary>The sensor-anomaly request of its selftest.json.</summary>
    public static JsonObject SensorSelfTest => SelfTestRequest(Sensor);

    /// <summary>The flight-delay request of its selftest.json.</summary>
    public static JsonObject FlightSelfTest => SelfTestRequest(Flight);

    /// <summary>Another flight-delay request, a busy route.</summary>
    public static JsonObject FlightBusyRoute => new()
    {
        ["origin"] = "ATL",
        ["destination"] = "ORD",
        ["distance"] = 606.0,
        ["departure"] = "2001-05-12T09:05:00",
    };

    private static JsonObject SelfTestRequest(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPipelines, name, "selftest.json")))!["request"]!.DeepClone().AsObject();

    private static JsonObject[] ReadSensorRows()
    {
        var file = RealData.Require("sensors", "wsn-multi-hop.csv");
        var lines = File.ReadAllLines(file);
        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i : throw new InvalidOperationException($"{file} has no column '{name}'.");
        int reading = Column("reading"), mote = Column("mote_id"), indoor = Column("indoor"), humidity = Column("humidity"), temperature = Column("temperature");
        return lines.Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            var cells = line.Split(',');
            return new JsonObject
            {
                ["mote"] = long.Parse(cells[mote], CultureInfo.InvariantCulture),
                ["indoor"] = long.Parse(cells[indoor], CultureInfo.InvariantCulture),
                ["reading"] = long.Parse(cells[reading], CultureInfo.InvariantCulture),
                ["temperature"] = double.Parse(cells[temperature], CultureInfo.InvariantCulture),
                ["humidity"] = double.Parse(cells[humidity], CultureInfo.InvariantCulture),
            };
        }).ToArray();
    }
}
