using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Numerics;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// The random streams of one request, all derived from its replay seed (a digest of the request and the pipeline's
/// seed): each query's partition order and each round's QMC scramble. Independent across queries, rounds and requests.
/// </summary>
internal static class RequestStreams
{
    private const ulong DesignStream = 0xD1B54A32D192ED03UL;
    private const ulong ExploreStream = 0x8CB92BA72F3D8DD7UL;

    /// <summary>Query <paramref name="query"/>'s partition order for the request with replay seed <paramref name="seed"/>.</summary>
    public static PartitionOrder PartitionOrder(ulong seed, int query) => Sampling.Layouts.PartitionOrder.Shuffled(SplitMix64.Hash(seed, (ulong)query));

    /// <summary>The QMC design seed of round <paramref name="round"/>: a fresh scramble every round.</summary>
    public static ulong DesignSeed(ulong seed, int round) => SplitMix64.Hash(seed ^ DesignStream, (ulong)round);

    /// <summary>
    /// True for one request in 32 (chosen by its seed, so a replay chooses alike): it samples even when exact looks
    /// cheaper, so the costs behind that choice stay measured.
    /// </summary>
    public static bool Explores(ulong seed) => SplitMix64.Hash(seed, ExploreStream) % 32 == 0;
}
