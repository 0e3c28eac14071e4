using Biathlon.Experiments;
using Biathlon.Experiments.Harness;
using Biathlon.Experiments.Load;
using Biathlon.Sampling.Errors;

const string Usage = """
    usage: biathlon-experiments <command> [options]

    commands:
      flight-delay [--requests N] [--retrain] [--pipeline NAME]
                 The main job: build what is missing for Flight-Delay (data, cached layouts, trained
                 model), replay N held-out requests (default 300) exact vs approximate, print the table.
      fetch      Fetch the datasets of the pipeline(s) with the pinned, checksummed script.
      prepare    Build tables, draw requests (split by time), train and export the model, δ = validation MAE.
      profile    Fit each query's cost model from validation requests; writes cost-profile.json.
      run        Serve the test requests with exact, biathlon, fixed 5% / 20%, DuckDB and the stale cache;
                 also the τ sweep (flight-late), latency and speedup vs rows per request (flight-delay,
                 pm10-forecast; biathlon with the exact shortcut on and off) and the
                 calibration (below) of its calibrated pipelines. Writes results/RUN-ID/.
      calibrate  Calibration where the bound binds (exact shortcut off): flight-delay, fx-next-price and
                 sensor-anomaly at table seeds 0, 1, 2 and δ = MAE, MAE/4, MAE/10 (classification: same label);
                 pass iff the share of BoundMet requests within δ ≥ τ − 2.3263·√(τ(1−τ)/n); plus a τ sweep.
                 Writes results/RUN-ID/ (also part of run).
      report     Markdown report and PNG plots of a run (default the latest).
      all        fetch, prepare, profile, run (with the calibration) and report.
      loadtest [--pipeline a,b] [--clients 1,2,4,8,16] [--duration 10s] [--warmup 2s] [--audit off,on]
               [--modes approximate,exact] [--out DIR] [--server URL] [--requests N] [--pipelines DIR]
                 The scoring server (src/Host, started as a child process, one per audit setting; or a running
                 one with --server URL) under closed-loop HTTP clients cycling through the held-out requests:
                 throughput, latency mean/SD/p50/p99/p99.9, server overhead, audit cost, scaling, S1 stability.
                 Writes loadtest.csv, loadtest.json and loadtest.md to DIR (default experiments/reports/DATE/).
      loadtest --report DIR
                 Writes DIR's loadtest.md and loadtest.csv again from its loadtest.json.
      demo       Sampled aggregates with 95% intervals beside exact values on the flights data.
      help       This text.

    options:
      --pipeline NAME   flight-delay, flight-late, pm10-forecast, fx-next-price, sensor-anomaly or all (default all)
      --requests N      test requests per pipeline (default: all drawn: 300, or 60 with --quick)
      --quick           small splits (400 / 100 / 60 requests) to exercise every step fast
      --seed N          seed of request sampling and training (default 0)
      --retrain         train again even when model.onnx exists
      --no-duckdb       skip the DuckDB baseline
      --run ID          run folder name under the results folder (report: an existing run; default latest)
      --results DIR     results folder (default results/)
      --pipelines DIR   folder of pipeline folders (default pipelines/)
      --no-calibration  run/all: skip the calibration
      --tau T           calibration: τ of the pass-rule cells (default each pipeline's τ)
      --table-seeds L   calibration: comma-separated table seeds (default 0,1,2)
      --no-sweep        calibration: skip the τ sweep (τ = 0.5, 0.8, 0.9, 0.95, 0.99 on the first table seed)
    """;

try
{
    var verb = args.FirstOrDefault();
    var options = verb is "flight-delay" or "demo" or "loadtest" or "help" or "--help" or "-h" or null ? null : CliArguments.Parse(args[1..]);
    return verb switch
    {
        "flight-delay" => await FlightDelayCommand.RunAsync(args[1..]),
        "demo" => await SamplingDemo.RunAsync(),
        "loadtest" => await LoadTestCommand.RunAsync(args[1..]),
        "fetch" => await HarnessCommands.FetchAsync(options!),
        "prepare" => await HarnessCommands.PrepareAsync(options!),
        "profile" => await HarnessCommands.ProfileAsync(options!),
        "run" => await HarnessCommands.RunAsync(options!),
        "calibrate" => await HarnessCommands.CalibrateAsync(options!),
        "report" => await HarnessCommands.ReportAsync(options!),
        "all" => await HarnessCommands.AllAsync(options!),
        "help" or "--help" or "-h" => PrintUsage(0),
        null => PrintUsage(2),
        _ => Unknown(verb),
    };
}
catch (CliException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e.ExitCode;
}
catch (BiathlonException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
catch (Exception e) when (Environment.GetEnvironmentVariable("BIATHLON_DEBUG") != "1")
{
    // Anything else is reported in one line too; set BIATHLON_DEBUG=1 for the stack trace.
    Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
    return 1;
}

int PrintUsage(int code)
{
    (code == 0 ? Console.Out : Console.Error).WriteLine(Usage);
    return code;
}

int Unknown(string verb)
{
    Console.Error.WriteLine($"error: unknown command '{verb}'.");
    Console.Error.WriteLine(Usage);
    return 2;
}
