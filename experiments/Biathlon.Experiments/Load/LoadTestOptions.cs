using System.Globalization;

namespace Biathlon.Experiments.Load;

/// <summary>How the server is asked to predict: <c>/predict</c> (within δ with confidence τ) or <c>/predict-exact</c>.</summary>
public enum LoadMode
{
    Approximate,
    Exact,
}

/// <summary>
/// Whether the server audits its predictions: off or on for a server the load test starts (on passes
/// <c>--Biathlon:Audit:Path</c>), or whatever an already-running server (<c>--server</c>) is configured to do.
/// </summary>
public enum AuditSetting
{
    Off,
    On,
    AsConfigured,
}

/// <summary>The <c>loadtest</c> verb's options, parsed strictly: an unknown option or a bad value is a <see cref="CliException"/> (exit 2).</summary>
public sealed record LoadTestOptions
{
    /// <summary>The pipelines loaded, in order (<c>--pipeline a,b</c>).</summary>
    public IReadOnlyList<string> Pipelines { get; init; } = ["flight-delay", "sensor-anomaly"];

    /// <summary>Closed-loop client counts, in order (<c>--clients 1,2,4</c>).</summary>
    public IReadOnlyList<int> Clients { get; init; } = [1, 2, 4, 8, 16];

    /// <summary>Measured time per cell (<c>--duration 10s</c>).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Unmeasured load before each cell's measured time (<c>--warmup 2s</c>).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Audit settings (<c>--audit off,on</c>); a server given with <c>--server</c> runs as configured.</summary>
    public IReadOnlyList<AuditSetting> Audit { get; init; } = [AuditSetting.Off, AuditSetting.On];

    /// <summary>Whether <c>--audit</c> was given.</summary>
    public bool AuditGiven { get; init; }

    /// <summary>Endpoints (<c>--modes approximate,exact</c>).</summary>
    public IReadOnlyList<LoadMode> Modes { get; init; } = [LoadMode.Approximate, LoadMode.Exact];

    /// <summary>Where the report goes (<c>--out DIR</c>); null for experiments/reports/DATE.</summary>
    public string? OutFolder { get; init; }

    /// <summary>An already-running server to load (<c>--server URL</c>) instead of starting one.</summary>
    public Uri? Server { get; init; }

    /// <summary>The folder of pipeline folders the started server serves (<c>--pipelines DIR</c>).</summary>
    public string PipelinesRoot { get; init; } = Path.Combine(RepositoryPaths.Root, "pipelines");

    /// <summary>Held-out requests per pipeline that the clients cycle through (<c>--requests N</c>; default all: 300).</summary>
    public int? Requests { get; init; }

    /// <summary>Seed of the request sets (<c>--seed N</c>): the same held-out requests as <c>run</c> with that seed.</summary>
    public int Seed { get; init; }

    /// <summary>Parses the arguments after the verb.</summary>
    public static LoadTestOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parsed = new LoadTestOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value(string option) =>
                i + 1 < args.Length ? args[++i] : throw new CliException($"option {option} needs a value", 2);

            parsed = args[i] switch
            {
                "--pipeline" or "-p" => parsed with { Pipelines = Names(Value("--pipeline")) },
                "--clients" or "-c" => parsed with { Clients = List(Value("--clients"), "--clients", PositiveInt) },
                "--duration" => parsed with { Duration = Time(Value("--duration"), "--duration", allowZero: false) },
                "--warmup" => parsed with { Warmup = Time(Value("--warmup"), "--warmup", allowZero: true) },
                "--audit" => parsed with { Audit = List(Value("--audit"), "--audit", ParseAudit), AuditGiven = true },
                "--modes" or "--mode" => parsed with { Modes = List(Value("--modes"), "--modes", ParseMode) },
                "--out" => parsed with { OutFolder = Path.GetFullPath(Value("--out")) },
                "--server" => parsed with { Server = ServerUri(Value("--server")) },
                "--pipelines" => parsed with { PipelinesRoot = Path.GetFullPath(Value("--pipelines")) },
                "--requests" or "-n" => parsed with { Requests = PositiveInt(Value("--requests")) ?? throw new CliException("option --requests needs a positive integer", 2) },
                "--seed" => parsed with { Seed = int.TryParse(Value("--seed"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) && seed >= 0 ? seed : throw new CliException($"option --seed needs a non-negative integer (got '{args[i]}')", 2) },
                var other => throw new CliException($"unknown option '{other}' (see 'help')", 2),
            };
        }

        if (parsed.Server is not null)
        {
            if (parsed.AuditGiven)
            {
                throw new CliException("option --audit cannot be used with --server: a running server audits as it is configured to (the report says whether it did)", 2);
            }

            parsed = parsed with { Audit = [AuditSetting.AsConfigured] };
        }

        return parsed;
    }

    /// <summary>Parses a duration: a number with an optional unit ms, s (default) or m: 500ms, 1.5s, 10, 2m.</summary>
    public static TimeSpan Time(string text, string option, bool allowZero)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
               && (value > 0 || (allowZero && value == 0)) && value * scale <= 24 * 3600
            ? TimeSpan.FromSeconds(value * scale)
            : throw new CliException($"option {option} needs a duration such as 10s, 500ms or 2m{(allowZero ? " (0 allowed)" : " above 0")} (got '{text}')", 2);
    }

    private static string[] Names(string text)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries);
        return names.Any(n => n.Length == 0) ? throw new CliException($"option --pipeline needs comma-separated pipeline names (got '{text}')", 2)
            : names.Distinct(StringComparer.Ordinal).Count() != names.Length ? throw new CliException($"option --pipeline names a value twice (got '{text}')", 2)
            : names;
    }

    private static T[] List<T>(string text, string option, Func<string, T?> parse)
        where T : struct
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new T[parts.Length];
        for (var k = 0; k < parts.Length; k++)
        {
            values[k] = parse(parts[k]) ?? throw new CliException($"option {option}: '{parts[k]}' is not allowed (got '{text}'; see 'help')", 2);
        }

        return values.Distinct().Count() == values.Length
            ? values
            : throw new CliException($"option {option} names a value twice (got '{text}')", 2);
    }

    private static int? PositiveInt(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= 4096 ? n : null;

    private static AuditSetting? ParseAudit(string text) => text switch
    {
        "off" => AuditSetting.Off,
        "on" => AuditSetting.On,
        _ => null,
    };

    private static LoadMode? ParseMode(string text) => text switch
    {
        "approximate" or "approx" => LoadMode.Approximate,
        "exact" => LoadMode.Exact,
        _ => null,
    };

    private static Uri ServerUri(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? new Uri(uri.GetLeftPart(UriPartial.Authority) + "/")
            : throw new CliException($"option --server needs an http:// or https:// URL (got '{text}')", 2);
}

/// <summary>The names the report and the CSV use for modes and audit settings.</summary>
public static class LoadNames
{
    public static string Of(LoadMode mode) => mode == LoadMode.Exact ? "exact" : "approximate";

    public static string Of(AuditSetting audit) => audit switch
    {
        AuditSetting.Off => "off",
        AuditSetting.On => "on",
        _ => "server",
    };
}
