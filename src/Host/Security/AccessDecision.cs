namespace Biathlon.Host.Security;

/// <summary>The outcome of checking a call's key: the caller, or why not (401: no or unknown key; 403: wrong scope).</summary>
internal readonly record struct AccessDecision(Caller? Caller, int Status, string? Reason)
{
    /// <summary>True when the call may go on.</summary>
    public bool Allowed => Caller is not null;
}
