using System.Text.Json;
using Biathlon.Engine;
using Biathlon.Engine.Specs;

namespace EmbeddedScoring;

/// <summary>
/// Writes one prediction as one JSON line: what was predicted, whether the bound held and why the loop stopped, the
/// confidence achieved for δ, the rounds, the mean final sample fraction of the sampled queries (1 when none is
/// sampled), and the feature queries ranked by importance: their first-order Sobol' index S1 in the last round, the
/// share of the prediction's variance due to that query's sampling error.
/// </summary>
internal sealed class ResultLine(Stream output, PipelineDefinition pipeline, int topQueries = 3) : IDisposable
{
    private readonly Utf8JsonWriter _writer = new(output);

    /// <summary>Writes the line for the request on <paramref name="lineNumber"/> and flushes it.</summary>
    public void Write(int lineNumber, PredictionResult result)
    {
        var w = _writer;
        w.Reset();
        w.WriteStartObject();
        w.WriteNumber("line", lineNumber);
        WriteNumber(w, "prediction", result.Value);
        w.WriteString("valueKind", result.ValueKind.ToString());
        w.WriteBoolean("meetsBound", result.MeetsBound);
        w.WriteString("stopReason", result.StopReason.ToString());
        w.WriteBoolean("exact", result.IsExact);
        w.WriteBoolean("exactShortcut", result.TookExactShortcut);
        WriteNumber(w, "confidence", result.Confidence);
        WriteNumber(w, "tau", result.Tau);
        WriteNumber(w, "delta", result.Delta);
        w.WriteNumber("rounds", result.Rounds);
        WriteNumber(w, "sampleFraction", MeanSampledFraction(result));
        w.WriteStartArray("importance");
        foreach (var q in RankByImportance(result))
        {
            var outcome = result.Queries[q];
            w.WriteStartObject();
            w.WriteString("query", outcome.Name);
            WriteNumber(w, "s1", outcome.FirstOrderIndex);
            WriteNumber(w, "fraction", outcome.Fraction);
            w.WriteStartArray("features");
            foreach (var aggregate in pipeline.Queries[q].Aggregates)
            {
                w.WriteStringValue(aggregate.Name);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
        output.Flush();
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    private double MeanSampledFraction(PredictionResult result)
    {
        double sum = 0;
        var count = 0;
        for (var q = 0; q < result.Queries.Count; q++)
        {
            if (pipeline.Queries[q].Sampled)
            {
                sum += result.Queries[q].Fraction;
                count++;
            }
        }

        return count == 0 ? 1 : sum / count;
    }

    private List<int> RankByImportance(PredictionResult result)
    {
        var order = Enumerable.Range(0, result.Queries.Count).ToList();
        order.Sort((a, b) =>
        {
            var byImportance = result.Queries[b].FirstOrderIndex.CompareTo(result.Queries[a].FirstOrderIndex);
            return byImportance != 0 ? byImportance : a.CompareTo(b);   // ties in spec order
        });
        return order.Count > topQueries ? order.GetRange(0, topQueries) : order;
    }

    // JSON has no NaN: a value that was not measured (confidence of an unpropagated round) is written as null.
    private static void WriteNumber(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, Math.Round(value, 6));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
