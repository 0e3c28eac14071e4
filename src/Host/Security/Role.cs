namespace Biathlon.Host.Security;

/// <summary>What an API key may do.</summary>
[Flags]
internal enum Role
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Predict, batch, exact, list and describe.</summary>
    Predict = 1,

    /// <summary>Reload pipelines.</summary>
    Admin = 2,
}
