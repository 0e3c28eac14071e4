using Biathlon.Host.Serving;

namespace Biathlon.Host.Status;

/// <summary>Feeds every served prediction into <see cref="RecentPredictions"/>, with its S1 and sample fraction per query.</summary>
internal sealed class RecentPredictionsObserver(RecentPredictions recent) : IPredictionObserver
{
    public void Served(ServedPrediction prediction)
    {
        var result = prediction.Result;
        var queries = new QueryContribution[result.Queries.Count];
        for (var q = 0; q < queries.Length; q++)
        {
            var query = result.Queries[q];
            queries[q] = new QueryContribution(query.Name, query.FirstOrderIndex, query.Fraction);
        }

        recent.Add(new RecentPrediction(prediction.Time, prediction.Pipeline, prediction.Version, prediction.Exact, result.Value, result.Delta,
            result.Confidence, result.StopReason.ToString(), result.Rounds, result.Timings.Total.TotalMilliseconds, queries));
    }
}
