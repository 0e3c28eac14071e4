using Biathlon.Sampling.Ingest;
using Biathlon.Sampling.Schema;

namespace Biathlon.Experiments.Pipelines;

/// <summary>One departing flight as a request, with its observed arrival delay as the label.</summary>
public sealed record FlightRequest(string Origin, string Destination, double Distance, DateTime Departure, double Delay)
{
    /// <summary>The request as the flight pipelines' spec expects it.</summary>
    public Dictionary<string, object?> ToRequest() => new()
    {
        ["origin"] = Origin,
        ["destination"] = Destination,
        ["distance"] = Distance,
        ["departure"] = Departure,
    };
}

/// <summary>Draws requests from the real flights-3m rows: seeded uniform samples of the flights departing in a date range.</summary>
public sealed class FlightRequests
{
    private readonly string?[] _origins;
    private readonly string?[] _destinations;
    private readonly long[] _distances;
    private readonly long[] _times;
    private readonly long[] _delays;

    private FlightRequests(RawTable raw)
    {
        _origins = raw.GetStrings("origin");
        _destinations = raw.GetStrings("destination");
        _distances = raw.GetInt64s("distance").ToArray();
        _times = raw.GetInt64s("date").ToArray();
        _delays = raw.GetInt64s("delay").ToArray();
    }

    /// <summary>Reads the flights file (about a second).</summary>
    public static async Task<FlightRequests> LoadAsync(string parquet) => new(await TableReader.ReadFileAsync(parquet));

    /// <summary><paramref name="count"/> distinct flights departing in [<paramref name="from"/>, <paramref name="to"/>), drawn with <paramref name="seed"/>, in time order.</summary>
    public IReadOnlyList<FlightRequest> Sample(DateTime from, DateTime to, int count, int seed)
    {
        long start = TimeValue.FromDateTime(from), end = TimeValue.FromDateTime(to);
        var eligible = new List<int>();
        for (var r = 0; r < _times.Length; r++)
        {
            if (_times[r] >= start && _times[r] < end)
            {
                eligible.Add(r);
            }
        }

        var rng = new Random(seed);
        var picked = eligible.OrderBy(_ => rng.Next()).Take(count).Order().ToArray();
        return picked
            .Select(r => new FlightRequest(_origins[r]!, _destinations[r]!, _distances[r], TimeValue.ToDateTime(_times[r]), _delays[r]))
            .OrderBy(f => f.Departure)
            .ToArray();
    }
}
