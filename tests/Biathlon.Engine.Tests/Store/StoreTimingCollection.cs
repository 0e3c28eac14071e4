namespace Biathlon.Engine.Tests.Store;

/// <summary>Tests that time the store's failure handling run one after another and alone, with no other class competing for the cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StoreTimingCollection
{
    public const string Name = "Store timing";
}
