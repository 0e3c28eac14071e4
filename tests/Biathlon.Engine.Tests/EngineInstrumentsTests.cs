using System.Diagnostics;
using System.Diagnostics.Metrics;
using Biathlon.Engine.Diagnostics;
using Biathlon.Planner.Planning;

namespace Biathlon.Engine.Tests;

/// <summary>
/// The engine's Meter and ActivitySource report what each prediction did, and each result carries its plan per round.
/// Real Flight-Delay pipeline, the fixture's first 40 held-out June requests, exact shortcut off so that rounds propagate.
/// </summary>
[Collection(FlightDelayCollection.Name)]
public sealed class EngineInstrumentsTests(FlightDelayFixture pipeline)
{
    [Fact]
    public void Every_prediction_records_its_latency_rounds_confidence_rows_and_stop_reason()
    {
        var durations = new List<(double Seconds, string? Mode)>();
        var rounds = new List<int>();
        var confidences = new List<double>();
        long rows = 0;
        var stopReasons = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EngineInstruments.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        var thisPipeline = pipeline.Engine.Definition.Name;
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (Tag(tags, "pipeline") != thisPipeline)
            {
                return;
            }

            lock (durations)
            {
                switch (instrument.Name)
                {
                    case "biathlon.engine.duration":
                        durations.Add((value, Tag(tags, "mode")));
                        break;
                    case "biathlon.engine.confidence":
                        confidences.Add(value);
                        break;
                }
            }
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "biathlon.engine.rounds" && Tag(tags, "pipeline") == thisPipeline)
            {
                lock (durations)
                {
                    rounds.Add(value);
                }
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (Tag(tags, "pipeline") != thisPipeline)
            {
                return;
            }

            lock (durations)
            {
                if (instrument.Name == "biathlon.engine.rows_read")
                {
                    rows += value;
                }
                else if (instrument.Name == "biathlon.engine.predictions")
                {
                    var reason = Tag(tags, "stop_reason")!;
                    stopReasons[reason] = stopReasons.GetValueOrDefault(reason) + value;
                }
            }
        });
        listener.Start();

        var results = pipeline.Test.Take(40).Select(r => pipeline.Engine.Predict(r.ToRequest(), new PredictOptions { ExactShortcut = false })).ToList();
        results.Add(pipeline.Engine.PredictExact(pipeline.Test[0].ToRequest()));
        listener.Dispose();

        // Tests of other collections may serve a pipeline of the same name meanwhile, so the recorded measurements
        // must contain this test's (as a multiset), not equal them.
        Assert.True(durations.Count >= results.Count);
        var recorded = durations.Select(d => (d.Seconds, d.Mode)).ToList();
        foreach (var r in results)
        {
            Assert.True(recorded.Remove((r.Timings.Total.TotalSeconds, r.IsExact && r.Queries.All(q => q.ExactReason == ExactReason.ExactRequest) ? "exact" : "approximate")),
                $"no duration measurement of {r.Timings.Total.TotalSeconds} s");
        }

        var recordedRounds = rounds.ToList();
        var recordedConfidences = confidences.ToList();
        foreach (var r in results)
        {
            Assert.True(recordedRounds.Remove(r.Rounds));
            Assert.True(recordedConfidences.Remove(r.Confidence) || (double.IsNaN(r.Confidence) && recordedConfidences.Remove(double.NaN)));
        }

        Assert.True(rows >= results.Sum(r => r.Queries.Sum(q => q.RowsScanned)));
        Assert.True(stopReasons.GetValueOrDefault("BoundMet") >= results.Count(r => r.StopReason == StopReason.BoundMet));
        Assert.True(stopReasons.Values.Sum() >= results.Count);
    }

    [Fact]
    public void The_plan_lists_every_round_with_growing_reads_and_the_last_confidence()
    {
        var sawSeveralRounds = false;
        foreach (var request in pipeline.Test.Take(60))
        {
            var result = pipeline.Engine.Predict(request.ToRequest(), new PredictOptions { ExactShortcut = false, Delta = pipeline.Engine.Delta / 4 });
            Assert.Equal(result.Rounds, result.Plan.Count);
            Assert.Equal(Enumerable.Range(1, result.Rounds), result.Plan.Select(p => p.Round));
            for (var r = 1; r < result.Plan.Count; r++)
            {
                for (var q = 0; q < result.Queries.Count; q++)
                {
                    Assert.True(result.Plan[r].PartitionsRead[q] >= result.Plan[r - 1].PartitionsRead[q]);
                }
            }

            var last = result.Plan[^1];
            for (var q = 0; q < result.Queries.Count; q++)
            {
                Assert.Equal(result.Queries[q].Fraction, last.PartitionsRead[q] / (double)result.Partitions, 9);
            }

            if (result.StopReason == StopReason.BoundMet)
            {
                Assert.Equal(result.Confidence, last.Confidence);
            }

            sawSeveralRounds |= result.Rounds > 1;
        }

        Assert.True(sawSeveralRounds, "at δ/4 some of the 60 requests should need more than one round");
    }

    [Fact]
    public void A_sampled_activity_carries_the_pipeline_and_outcome()
    {
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EngineInstruments.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (activities) { activities.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        var result = pipeline.Engine.Predict(pipeline.Test[1].ToRequest());
        List<Activity> mine;
        lock (activities)
        {
            mine = activities.Where(a => (string?)a.GetTagItem("biathlon.pipeline") == pipeline.Engine.Definition.Name).ToList();
        }

        // Other collections may serve a pipeline of the same name meanwhile: this call's activity is among them.
        Assert.Contains(mine, a => a.OperationName == "biathlon.predict"
            && (string?)a.GetTagItem("biathlon.mode") == "approximate"
            && Equals(a.GetTagItem("biathlon.rounds"), result.Rounds)
            && (string?)a.GetTagItem("biathlon.stop_reason") == result.StopReason.ToString()
            && Equals(a.GetTagItem("biathlon.confidence"), result.Confidence)
            && a.Duration >= result.Timings.Total);
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
