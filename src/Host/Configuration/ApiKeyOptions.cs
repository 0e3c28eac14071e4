namespace Biathlon.Host.Configuration;

/// <summary>
/// One API key as stored at rest (section <c>Biathlon:ApiKeys:n</c>): only the SHA-256 of the key, in hex, never the
/// key itself. <c>Biathlon.Host hash-key KEY</c> prints the hash; <c>Biathlon.Host new-key</c> makes a key and its hash.
/// </summary>
internal sealed class ApiKeyOptions
{
    /// <summary>Who holds the key: recorded as the caller in audit records and logs.</summary>
    public string Name { get; set; } = "";

    /// <summary>Lower- or upper-case hex SHA-256 of the key's UTF-8 bytes.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>Roles: <c>predict</c> (predict, batch, exact, list, describe) and <c>admin</c> (reload).</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>
    /// Pipelines the key may use; none (the default) or <c>*</c> is every pipeline. The default is empty, not <c>*</c>:
    /// configuration binding adds the configured entries to the default list, so a default <c>*</c> would stay in it
    /// and open every pipeline to a key scoped to one.
    /// </summary>
    public List<string> Pipelines { get; set; } = [];
}
