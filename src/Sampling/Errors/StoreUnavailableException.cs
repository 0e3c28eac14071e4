namespace Biathlon.Sampling.Errors;

/// <summary>
/// A remote store (such as Redis) that did not answer in time or refused the connection. The request or load that
/// needed it failed fast and changed nothing; retrying once the store is back succeeds.
/// </summary>
public sealed class StoreUnavailableException : BiathlonException
{
    /// <summary>Creates the exception for the store described by <paramref name="store"/>.</summary>
    public StoreUnavailableException(string store, string message, Exception? inner = null)
        : base(store, message, inner)
    {
    }

    /// <summary>The store at fault, as its configuration describes it.</summary>
    public string Store => Subject;
}
