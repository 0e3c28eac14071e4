namespace Biathlon.Host.Tests.OutOfProcess;

/// <summary>Real requests for the sensor-anomaly pipeline: rows of the Intel-lab multi-hop WSN readings, as JSON bodies.</summary>
internal static class SensorRequests
{
    /// <summary>Every <paramref name="step"/>-th row from row <paramref name="skip"/>, <paramref name="count"/> of them.</summary>
    public static IReadOnlyList<string> Bodies(int count, int skip = 1_000, int step = 37)
    {
        var bodies = new List<string>(count);
        var lines = File.ReadLines(RealData.Require("sensors", "wsn-multi-hop.csv")).Skip(1 + skip);
        var index = 0;
        foreach (var line in lines)
        {
            if (index++ % step != 0)
            {
                continue;
            }

            // reading,mote_id,indoor,humidity,temperature,label
            var f = line.Split(',');
            var request = "{\"request\":{\"mote\":" + f[1] + ",\"indoor\":" + f[2] + ",\"reading\":" + f[0]
                + ",\"temperature\":" + f[4] + ",\"humidity\":" + f[3] + "}}";
            bodies.Add(request);
            if (bodies.Count == count)
            {
                break;
            }
        }

        return bodies;
    }

    /// <summary>The sensor-anomaly pipeline folder, failing with the command that prepares it when its model is missing.</summary>
    public static string PipelinesFolder()
    {
        var folder = Path.Combine(RealData.RepositoryRoot, "pipelines");
        var model = Path.Combine(folder, "sensor-anomaly", "model.onnx");
        return File.Exists(model)
            ? folder
            : throw new InvalidOperationException($"{model} is missing: run 'dotnet run -c Release --project experiments/Biathlon.Experiments -- prepare --pipeline sensor-anomaly'.");
    }
}
