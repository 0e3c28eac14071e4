namespace Biathlon.Host.Tests.Grpc;

/// <summary>The test classes that share one <see cref="KeyedServerFixture"/> (and so run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class KeyedServerCollection : ICollectionFixture<KeyedServerFixture>
{
    public const string Name = "gRPC server with API keys";
}
