using System.Globalization;
using Biathlon.Engine.Models;
using Biathlon.Experiments.Reporting;
using Biathlon.Planner.Propagation;
using Parquet;
using Parquet.Schema;

namespace Biathlon.Experiments.Tests;

/// <summary>
/// The harness on a pipeline of the user's own, through the CLI only: a small spec over the real PM10 readings
/// (data/real/air-pm10.csv) and a requests CSV written from real rows, then <c>train</c>, <c>run</c> and
/// <c>report</c>; and clear errors naming the option, column or file for bad input.
/// </summary>
public sealed class SpecPipelineCliTests : IDisposable
{
    private const int RequestCount = 300;

    private readonly TempDirectory _dir = new();

    /// <summary>Writes the pipeline folder (spec only; the table source is the real data file) and returns it.</summary>
    private string WritePipeline(bool binary = false)
    {
        var data = RealData.Require("r", "air-pm10.csv");
        var name = binary ? "my-pm10-high" : "my-pm10";
        var (task, bound) = binary ? ("binary", """{ "tau": 0.95 }""") : ("regression", """{ "deltaMetadata": "validation_mae", "tau": 0.95 }""");
        var folder = Path.Combine(_dir.Path, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "pipeline.json"), $$"""
            {
              "name": "{{name}}",
              "description": "Daily PM10 at a station from its own and all stations' earlier readings (test pipeline).",
              "task": "{{task}}",
              "tables": [ { "name": "air", "source": "{{data}}", "timeColumn": "date", "partitions": 50, "seed": 0 } ],
              "request": [ { "name": "station", "type": "string" }, { "name": "day", "type": "timestamp" } ],
              "requestFeatures": [ { "name": "day_of_year", "field": "day", "transform": "dayOfYear" } ],
              "queries": [
                { "name": "station_7d", "table": "air", "keys": { "station": "station" },
                  "window": { "field": "day", "from": "-7d", "to": "0d" },
                  "aggregates": [ { "name": "station_7d_avg", "op": "avg", "column": "pm10", "fill": 20 } ] },
                { "name": "all_7d", "table": "air",
                  "window": { "field": "day", "from": "-7d", "to": "0d" },
                  "aggregates": [ { "name": "all_7d_avg", "op": "avg", "column": "pm10", "fill": 20 } ] },
                { "name": "station_30d", "table": "air", "keys": { "station": "station" },
                  "window": { "field": "day", "from": "-30d", "to": "0d" },
                  "aggregates": [ { "name": "station_30d_max", "op": "max", "column": "pm10", "fill": 20 } ] }
              ],
              "inputs": [ "day_of_year", "station_7d_avg", "all_7d_avg", "station_30d_max" ],
              "model": { "file": "model.onnx" },
              "bound": {{bound}},
              "planner": { "initialFraction": 0.05, "baseSamples": 128, "seed": 0 }
            }
            """);
        return folder;
    }

    /// <summary>
    /// Writes a requests CSV of <see cref="RequestCount"/> real station-days of 2006–2008 (every k-th reading with a
    /// value), in shuffled order, with the label (pm10; high: pm10 &gt; 15 as true/false; level: 0, 1 or 2) and an extra
    /// column the spec does not name.
    /// </summary>
    private string WriteRequests(string name = "requests.csv", bool withStation = true, int count = RequestCount)
    {
        var picked = PickRows(count);
        static string Labels(string pm10)
        {
            var value = double.Parse(pm10, CultureInfo.InvariantCulture);
            return FormattableString.Invariant($"{pm10},{(value > 15 ? "true" : "false")},{(value > 30 ? 2 : value > 15 ? 1 : 0)}");
        }

        var file = Path.Combine(_dir.Path, name);
        File.WriteAllLines(file, [withStation ? "note,station,day,pm10,high,level" : "note,day,pm10,high,level",
            .. picked.Select((f, i) => withStation ? $"r{i},{f[0].Trim('"')},{f[1].Trim('"')},{Labels(f[2])}" : $"r{i},{f[1].Trim('"')},{Labels(f[2])}")]);
        return file;
    }

    /// <summary>The real rows the requests files hold (station, date, pm10 as the data file writes them), shuffled.</summary>
    private static string[][] PickRows(int count = RequestCount)
    {
        var lines = File.ReadLines(RealData.Require("r", "air-pm10.csv")).Skip(1)
            .Select(l => l.Split(','))
            .Where(f => f[1].StartsWith("\"2006", StringComparison.Ordinal) || f[1].StartsWith("\"2007", StringComparison.Ordinal) || f[1].StartsWith("\"2008", StringComparison.Ordinal))
            .Where(f => double.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v))
            .ToArray();
        var step = lines.Length / count;
        var picked = Enumerable.Range(0, count).Select(i => lines[i * step]).ToArray();
        new Random(7).Shuffle(picked);
        return picked;
    }

    [Fact]
    public void Train_run_and_report_a_pipeline_brought_as_a_spec_and_a_requests_file()
    {
        var spec = WritePipeline();
        var requests = WriteRequests();
        var results = Path.Combine(_dir.Path, "results");
        string[] run = ["run", "--spec", spec, "--requests", requests, "--label", "pm10", "--test-requests", "20", "--results", results, "--run", "mine"];

        // Before training there is no model: run says what to do.
        var (before, _, beforeErrors) = HarnessCli.Run(run);
        Assert.Equal(1, before);
        Assert.Contains("run `train` first", beforeErrors);

        var (trained, trainOutput, trainErrors) = HarnessCli.Run("train", "--spec", spec, "--requests", requests, "--label", "pm10", "--seed", "3", "--model", "fastforest");
        Assert.True(trained == 0, $"exit {trained}\n{trainOutput}\n{trainErrors}");
        Assert.Contains("validation MAE", trainOutput);
        using (var model = OnnxModel.Load(Path.Combine(spec, "model.onnx"), PredictionTask.Regression))
        {
            var mae = double.Parse(model.Metadata["validation_mae"], CultureInfo.InvariantCulture);
            Assert.True(mae > 0 && mae < 100, $"validation MAE {mae}");
            Assert.Equal("180", model.Metadata["train_requests"]); // 60% of 300
            Assert.Equal("3", model.Metadata["seed"]);
            Assert.Equal("day_of_year,station_7d_avg,all_7d_avg,station_30d_max", model.Metadata["inputs"]);
            Assert.Equal("fastforest", model.Metadata["model"]);
            Assert.Equal("0.6,0.2", model.Metadata["train_split"]);
            Assert.Equal("requests.csv", model.Metadata["requests_file"]);
        }

        var (ran, runOutput, runErrors) = HarnessCli.Run(run);
        Assert.True(ran == 0, $"exit {ran}\n{runOutput}\n{runErrors}");
        var loaded = ResultsStore.Load(Path.Combine(results, "mine"));
        var pipeline = Assert.Single(loaded.Pipelines);
        Assert.Equal("my-pm10", pipeline.Name);
        Assert.Equal(180, pipeline.TrainRequests);
        Assert.Equal(20, pipeline.TestRequests);
        Assert.Equal("ML.NET FastForest regression (100 trees, 20 leaves)", pipeline.Model); // what train fitted, from the model's metadata
        var methods = loaded.Methods.ToDictionary(m => m.Method);
        Assert.Equal(["biathlon", "duckdb", "exact", "fixed-20%", "fixed-5%"], methods.Keys.Order().ToArray());
        Assert.All(methods.Values, m => Assert.Equal(20, m.Requests));
        Assert.Equal(1.0, methods["exact"].AgreementWithExact);
        Assert.Equal(1.0, methods["duckdb"].AgreementWithExact, 6);
        Assert.Empty(loaded.Calibration); // off by default for a spec pipeline
        var records = File.ReadAllLines(Path.Combine(results, "mine", "requests-my-pm10.csv"));
        Assert.Equal(1 + (20 * 5), records.Length);

        // --clickhouse adds the ClickHouse baselines, on one clickhouse-server the run starts on loopback and stops.
        var (withClickHouse, clickHouseOutput, clickHouseErrors) = HarnessCli.Run([.. run[..^1], "mine-clickhouse", "--clickhouse"]);
        Assert.True(withClickHouse == 0, $"exit {withClickHouse}\n{clickHouseOutput}\n{clickHouseErrors}");
        var clickHouseMethods = ResultsStore.Load(Path.Combine(results, "mine-clickhouse")).Methods.ToDictionary(m => m.Method);
        Assert.Equal(20, clickHouseMethods["clickhouse-exact"].Requests);
        Assert.Equal(1.0, clickHouseMethods["clickhouse-exact"].AgreementWithExact, 6);
        Assert.Equal(20, clickHouseMethods["clickhouse-approx"].Requests);

        Assert.DoesNotContain("warning", runErrors);

        // Another split than training's is run, with a warning: its test split may hold training requests.
        var (other, _, otherErrors) = HarnessCli.Run([.. run[..^2], "--run", "other", "--train-split", "0.5,0.2"]);
        Assert.Equal(0, other);
        Assert.Contains("warning: the model was trained with the split 0.6,0.2", otherErrors);

        var (reported, reportOutput, reportErrors) = HarnessCli.Run("report", "--results", results, "--run", "mine");
        Assert.True(reported == 0, $"exit {reported}\n{reportOutput}\n{reportErrors}");
        Assert.Contains("my-pm10", File.ReadAllText(Path.Combine(results, "mine", "report.md")));
    }

    [Fact]
    public async Task A_parquet_requests_file_trains_the_same_model_as_the_csv_and_skips_rows_without_a_label()
    {
        // Both files are named "requests" (the format is read from the bytes), so the models' metadata match too.
        var spec = WritePipeline();
        Directory.CreateDirectory(Path.Combine(_dir.Path, "csv"));
        Directory.CreateDirectory(Path.Combine(_dir.Path, "parquet"));
        var csv = WriteRequests(Path.Combine("csv", "requests"));
        var rows = PickRows();
        var parquet = Path.Combine(_dir.Path, "parquet", "requests");
        var schema = new ParquetSchema(
            new DataField<string>("station"), new DataField<DateTime>("day"), new DataField<double?>("pm10"), new DataField<int?>("extra"));
        await using (var stream = File.Create(parquet))
        await using (var writer = await ParquetWriter.CreateAsync(schema, stream))
        using (var group = writer.CreateRowGroup())
        {
            // The same rows, then five without a label (null), which must be skipped.
            var unlabelled = rows.Take(5).ToArray();
            await group.WriteAsync(schema.DataFields[0], rows.Concat(unlabelled).Select(f => (string?)f[0].Trim('"')).ToArray());
            await group.WriteAsync(schema.DataFields[1], new ReadOnlyMemory<DateTime>(
                [.. rows.Concat(unlabelled).Select(f => DateTime.Parse(f[1].Trim('"'), CultureInfo.InvariantCulture))]));
            await group.WriteAsync(schema.DataFields[2], new ReadOnlyMemory<double?>(
                [.. rows.Select(f => (double?)double.Parse(f[2], CultureInfo.InvariantCulture)), .. unlabelled.Select(_ => (double?)null)]));
            await group.WriteAsync(schema.DataFields[3], new ReadOnlyMemory<int?>([.. rows.Concat(unlabelled).Select((_, i) => (int?)i)]));
        }

        var fromCsv = Path.Combine(_dir.Path, "csv.onnx");
        var fromParquet = Path.Combine(_dir.Path, "parquet.onnx");
        var (csvCode, _, csvErrors) = HarnessCli.Run("train", "--spec", spec, "--requests", csv, "--label", "pm10", "--out", fromCsv);
        Assert.True(csvCode == 0, csvErrors);
        var (parquetCode, _, parquetErrors) = HarnessCli.Run("train", "--spec", spec, "--requests", parquet, "--label", "pm10", "--out", fromParquet);
        Assert.True(parquetCode == 0, parquetErrors);
        Assert.Contains("skipped 5 rows of requests without a label in 'pm10'", parquetErrors);

        using var a = OnnxModel.Load(fromCsv, PredictionTask.Regression);
        using var b = OnnxModel.Load(fromParquet, PredictionTask.Regression);
        Assert.Equal("180", b.Metadata["train_requests"]);
        Assert.Equal(a.Metadata["validation_mae"], b.Metadata["validation_mae"]);
        Assert.Equal(File.ReadAllBytes(fromCsv), File.ReadAllBytes(fromParquet));
    }

    [Theory]
    [InlineData("lightgbm")]
    [InlineData("fastforest")]
    [InlineData("linear")]
    public void Every_regression_model_kind_beats_predicting_the_training_mean(string kind)
    {
        // 900 requests: on the 180 training requests of the others, LightGBM (leaves of ≥ 20 rows) does not yet beat the mean.
        var spec = WritePipeline();
        var requests = WriteRequests(count: 900);
        var model = Path.Combine(_dir.Path, kind + ".onnx");
        var (code, output, errors) = HarnessCli.Run("train", "--spec", spec, "--requests", requests, "--label", "pm10", "--model", kind, "--out", model);
        Assert.True(code == 0, $"exit {code}\n{output}\n{errors}");

        // The same split by time in the test: rows by day (ISO text sorts by time; ties keep file order), 60% / 20% of 900.
        var rows = File.ReadLines(requests).Skip(1).Select(l => l.Split(','))
            .Select((f, i) => (Day: f[2], Row: i, Label: double.Parse(f[3], CultureInfo.InvariantCulture)))
            .OrderBy(r => r.Day, StringComparer.Ordinal).ThenBy(r => r.Row).ToArray();
        var mean = rows.Take(540).Average(r => r.Label);
        var meanMae = rows.Skip(540).Take(180).Average(r => Math.Abs(r.Label - mean));

        using var onnx = OnnxModel.Load(model, PredictionTask.Regression);
        Assert.Equal(kind, onnx.Metadata["model"]);
        var mae = double.Parse(onnx.Metadata["validation_mae"], CultureInfo.InvariantCulture);
        Assert.True(mae < meanMae, $"{kind}: validation MAE {mae} vs {meanMae} predicting the training mean");
    }

    [Fact]
    public void A_binary_spec_trains_a_calibrated_fasttree_on_a_true_false_label()
    {
        var spec = WritePipeline(binary: true);
        var requests = WriteRequests();
        var (code, output, errors) = HarnessCli.Run("train", "--spec", spec, "--requests", requests, "--label", "high", "--train-split", "0.5,0.25");
        Assert.True(code == 0, $"exit {code}\n{output}\n{errors}");
        Assert.Contains("validation F1", output);
        using var model = OnnxModel.Load(Path.Combine(spec, "model.onnx"), PredictionTask.Classification);
        var f1 = double.Parse(model.Metadata["validation_f1"], CultureInfo.InvariantCulture);
        Assert.InRange(f1, 0.3, 1.0); // a model that never says "high" scores 0
        Assert.Equal("150", model.Metadata["train_requests"]);
        Assert.Equal("fasttree", model.Metadata["model"]);
        Assert.False(model.Metadata.ContainsKey("validation_mae"));

        var (linear, _, linearErrors) = HarnessCli.Run("train", "--spec", spec, "--requests", requests, "--label", "high", "--model", "linear");
        Assert.Equal(2, linear);
        Assert.Contains("option --model linear cannot train a binary pipeline", linearErrors);

        // The MLP the built-in sensor-anomaly pipeline uses is a --model too.
        var mlpFile = Path.Combine(_dir.Path, "mlp.onnx");
        var (mlp, mlpOutput, mlpErrors) = HarnessCli.Run("train", "--spec", spec, "--requests", requests, "--label", "high", "--train-split", "0.5,0.25", "--model", "mlp", "--out", mlpFile);
        Assert.True(mlp == 0, $"exit {mlp}\n{mlpOutput}\n{mlpErrors}");
        using (var network = OnnxModel.Load(mlpFile, PredictionTask.Classification))
        {
            Assert.Equal("mlp", network.Metadata["model"]);
            Assert.True(double.Parse(network.Metadata["validation_f1"], CultureInfo.InvariantCulture) > 0, mlpOutput); // it says "high" sometimes, rightly
        }

        var (level, _, levelErrors) = HarnessCli.Run("train", "--spec", spec, "--requests", requests, "--label", "level");
        Assert.Equal(1, level);
        Assert.Contains("label column 'level' (option --label) of a binary pipeline must hold 0/1 or true/false", levelErrors);
    }

    [Fact]
    public void Bad_spec_options_and_requests_files_are_named_in_one_line_errors()
    {
        var spec = WritePipeline();
        var requests = WriteRequests();
        var noStation = WriteRequests("no-station.csv", withStation: false);

        void Fails(int code, string message, params string[] args)
        {
            var (exit, output, errors) = HarnessCli.Run(args);
            Assert.True(exit == code, $"exit {exit} (expected {code}) for {string.Join(' ', args)}\n{output}\n{errors}");
            Assert.Contains(message, errors);
            Assert.DoesNotContain("   at ", output + errors);
        }

        Fails(2, "'--label' is required", "train", "--spec", spec, "--requests", requests);
        Fails(2, "option --train-split needs TRAIN,VALIDATION", "train", "--spec", spec, "--requests", requests, "--label", "pm10", "--train-split", "0.9,0.2");
        Fails(2, "option --model needs lightgbm, fasttree, fastforest, linear or mlp", "train", "--spec", spec, "--requests", requests, "--label", "pm10", "--model", "xgboost");
        Fails(2, "option --model fasttree trains binary pipelines only", "train", "--spec", spec, "--requests", requests, "--label", "pm10", "--model", "fasttree");
        Fails(2, "option --model mlp trains binary pipelines only", "train", "--spec", spec, "--requests", requests, "--label", "pm10", "--model", "mlp");
        Fails(1, "request field 'station' of pipeline 'my-pm10' has no column in '" + noStation + "'", "train", "--spec", spec, "--requests", noStation, "--label", "pm10");
        Fails(1, "label column 'pm25' (option --label) is not in '" + requests + "'", "train", "--spec", spec, "--requests", requests, "--label", "pm25");
        Fails(1, "label column 'note' (option --label) is not numeric", "train", "--spec", spec, "--requests", requests, "--label", "note");
        Fails(1, "requests file '" + Path.Combine(_dir.Path, "missing.csv") + "' does not exist", "train", "--spec", spec, "--requests", Path.Combine(_dir.Path, "missing.csv"), "--label", "pm10");
        Fails(2, "option --spec: no pipeline spec at", "train", "--spec", Path.Combine(_dir.Path, "nowhere"), "--requests", requests, "--label", "pm10");
        Fails(2, "option --requests FILE needs --spec DIR", "run", "--requests", requests, "--label", "pm10");

        // A request whose field is empty, in a spec with no fill for it: the engine's error, naming the request.
        var lines = File.ReadAllLines(requests);
        var cells = lines[1].Split(',');
        cells[1] = "";
        lines[1] = string.Join(',', cells);
        var holed = Path.Combine(_dir.Path, "holed.csv");
        File.WriteAllLines(holed, lines);
        Fails(1, "Request field 'station' (String) is missing", "train", "--spec", spec, "--requests", holed, "--label", "pm10");
    }

    [Fact]
    public void A_built_in_recipes_requests_exported_by_prepare_train_through_the_same_path()
    {
        RealData.Require("r", "air-pm10.csv");
        var pipelines = Path.Combine(_dir.Path, "pipelines");
        var folder = Path.Combine(pipelines, "pm10-forecast");
        Directory.CreateDirectory(folder);
        // The spec only: prepare trains the copy's model (a clean clone has none).
        File.Copy(Path.Combine(RealData.RepositoryRoot, "pipelines", "pm10-forecast", "pipeline.json"), Path.Combine(folder, "pipeline.json"));

        var exported = Path.Combine(_dir.Path, "pm10-requests.csv");
        var (code, output, errors) = HarnessCli.Run("prepare", "--pipeline", "pm10-forecast", "--quick", "--pipelines", pipelines, "--export-requests", exported);
        Assert.True(code == 0, $"exit {code}\n{output}\n{errors}");
        var lines = File.ReadAllLines(exported);
        Assert.Equal("station,day,label", lines[0]);
        Assert.Equal(1 + 400 + 100 + 60, lines.Length); // --quick: 400 / 100 / 60
        var split = output.Split('\n').Single(l => l.Contains("--train-split", StringComparison.Ordinal)).Split("--train-split ")[1].Trim();

        var model = Path.Combine(_dir.Path, "retrained.onnx");
        var (trained, trainOutput, trainErrors) = HarnessCli.Run(
            "train", "--spec", folder, "--requests", exported, "--label", "label", "--train-split", split, "--model", "fastforest", "--out", model);
        Assert.True(trained == 0, $"exit {trained}\n{trainOutput}\n{trainErrors}");
        using var onnx = OnnxModel.Load(model, PredictionTask.Regression);
        Assert.Equal("400", onnx.Metadata["train_requests"]);
        Assert.Equal("fastforest", onnx.Metadata["model"]);
        Assert.Contains("on 100 requests", trainOutput);
    }

    public void Dispose() => _dir.Dispose();
}
