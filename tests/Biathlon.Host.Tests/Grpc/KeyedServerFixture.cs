using Biathlon.Host.Security;

namespace Biathlon.Host.Tests.Grpc;

/// <summary>
/// API keys: <see cref="PredictKey"/> holds the predict role, <see cref="AdminKey"/> predict and admin; sensor-anomaly only.
/// </summary>
public sealed class KeyedServerFixture : ScoringServerFixture
{
    public const string PredictKey = "k1";
    public const string AdminKey = "k2";

    protected override IReadOnlyList<string> Pipelines => ["sensor-anomaly"];

    protected override IEnumerable<string> Arguments =>
    [
        "--Biathlon:ApiKeys:0:Name=p",
        $"--Biathlon:ApiKeys:0:Sha256={ApiKeyStore.Hash(PredictKey)}",
        "--Biathlon:ApiKeys:0:Roles:0=predict",
        "--Biathlon:ApiKeys:1:Name=a",
        $"--Biathlon:ApiKeys:1:Sha256={ApiKeyStore.Hash(AdminKey)}",
        "--Biathlon:ApiKeys:1:Roles:0=predict",
        "--Biathlon:ApiKeys:1:Roles:1=admin",
    ];
}
