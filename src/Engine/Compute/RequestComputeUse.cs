namespace Biathlon.Engine.Compute;

/// <summary>What of one request ran on the device, and why any of it did not: reset per request, reported as <see cref="ComputeUse"/>.</summary>
internal sealed class RequestComputeUse
{
    public bool Aggregates { get; set; }

    public bool Model { get; set; }

    /// <summary>The first fallback of the request, or null.</summary>
    public string? Fallback { get; private set; }

    public void Reset()
    {
        Aggregates = false;
        Model = false;
        Fallback = null;
    }

    public void FellBack(string reason) => Fallback ??= reason;

    public ComputeUse ToResult(ComputeBackend backend) => new(backend, Aggregates, Model, Fallback);
}
