using Biathlon.Experiments.Specs;
using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Schema;

namespace Biathlon.Experiments.Pipelines;

/// <summary>
/// FX-Next-Price: a request is a quote time t, the label the quote at t + 30 min. Split by time (train Oct 1996–1999,
/// validation 2000, test Jan–Mar 2001). A linear model (SDCA) on standardised features, folded back to raw units.
/// </summary>
public sealed class FxRecipe : IPipelineRecipe
{
    public string Name => "fx-next-price";

    public string DatasetSet => "r";

    public string DatasetFile => "usdchf.csv";

    public string ModelDescription => "ML.NET SDCA linear regression on standardised inputs";

    public string DataCredit => "usdchf: Rmetrics USD/CHF half-hourly quotes, 1996–2001 (Debian r-cran-timeseries 4021.105, GPL ≥ 2)";

    public double StaleCacheRefreshesPerHour => 0.5;

    public IReadOnlyDictionary<string, string> TrainingSources { get; } = new Dictionary<string, string>();

    public async Task<RecipeRequests> LoadRequestsAsync(string dataDirectory, RecipeSizes sizes, int seed)
    {
        var raw = await TableReader.ReadFileAsync(Path.Combine(dataDirectory, DatasetFile));
        var times = raw.GetInt64s("time").ToArray();
        var prices = raw.GetDoubles("usdchf").ToArray();
        var next = new Dictionary<long, double>(times.Length);
        for (var r = 0; r < times.Length; r++)
        {
            next[times[r]] = prices[r];
        }

        IReadOnlyList<HarnessRequest> Split(DateTime from, DateTime to, int count, int splitSeed)
        {
            long start = TimeValue.FromDateTime(from), end = TimeValue.FromDateTime(to);
            var eligible = Enumerable.Range(0, times.Length)
                .Where(r => times[r] >= start && times[r] < end && next.ContainsKey(times[r] + 30 * TimeValue.MicrosPerMinute))
                .ToArray();
            return RowSampler.Sample(eligible, count, splitSeed)
                .Select(r => new HarnessRequest(
                    new Dictionary<string, object?> { ["time"] = TimeValue.ToDateTime(times[r]) },
                    next[times[r] + 30 * TimeValue.MicrosPerMinute],
                    TimeValue.ToDateTime(times[r])))
                .ToArray();
        }

        return new RecipeRequests(
            Split(new DateTime(1996, 10, 1), new DateTime(2000, 1, 1), sizes.Train, seed),
            Split(new DateTime(2000, 1, 1), new DateTime(2001, 1, 1), sizes.Validation, seed + 1),
            Split(new DateTime(2001, 1, 1), new DateTime(2001, 4, 1), sizes.Test, seed + 2));
    }

    // SDCA on standardised inputs, folded back to raw units (ModelKind.Linear): SDCA converges poorly on raw prices
    // (1.2–1.8) next to spreads (0.001).
    public TrainedModel Train(float[][] train, float[] trainLabels, float[][] validation, float[] validationLabels, Dictionary<string, string> metadata, int seed) =>
        ModelTrainer.Train(ModelKind.Linear, binary: false, train, trainLabels, validation, validationLabels, metadata, seed);
}
