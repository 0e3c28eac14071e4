namespace Biathlon.Experiments.Pipelines;

/// <summary>Seeded sampling of row indices, so every split of every recipe is reproducible from the run's seed.</summary>
internal static class RowSampler
{
    /// <summary>Up to <paramref name="count"/> distinct indices from <paramref name="eligible"/>, in ascending order.</summary>
    public static int[] Sample(IReadOnlyList<int> eligible, int count, int seed)
    {
        var rng = new Random(seed);
        var pool = eligible.ToArray();
        count = Math.Min(count, pool.Length);
        for (var i = 0; i < count; i++)
        {
            var j = rng.Next(i, pool.Length);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }

        return pool[..count].Order().ToArray();
    }
}
