using System.Diagnostics.Metrics;
using Biathlon.Engine.Diagnostics;

namespace Biathlon.Engine.Tests;

/// <summary>Listens to one of the engine's instruments (<see cref="EngineInstruments"/>), handing each measurement over with its string tags.</summary>
internal static class EngineMeterListener
{
    /// <summary>
    /// Starts listening to <paramref name="instrument"/>; <paramref name="record"/> is called under a lock, one
    /// measurement at a time. Observable instruments report when the caller runs <see cref="MeterListener.RecordObservableInstruments"/>.
    /// </summary>
    public static MeterListener Listen<T>(string instrument, Action<T, IReadOnlyDictionary<string, string?>> record)
        where T : struct
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (published, l) =>
        {
            if (published.Meter.Name == EngineInstruments.Name && published.Name == instrument)
            {
                l.EnableMeasurementEvents(published);
            }
        };
        listener.SetMeasurementEventCallback<T>((_, value, tags, _) =>
        {
            var byKey = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                byKey[tag.Key] = tag.Value as string;
            }

            lock (listener)
            {
                record(value, byKey);
            }
        });
        listener.Start();
        return listener;
    }
}
