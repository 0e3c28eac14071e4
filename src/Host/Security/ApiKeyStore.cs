using System.Security.Cryptography;
using System.Text;
using Biathlon.Host.Configuration;

namespace Biathlon.Host.Security;

/// <summary>
/// The configured API keys, held as SHA-256 hashes only. A call presents its key as <c>Authorization: Bearer KEY</c> or
/// <c>X-Api-Key: KEY</c>; the store hashes it and looks the hash up. Keys are long random tokens (see
/// <see cref="NewKey"/>), so an unsalted hash is enough: there is no dictionary to try against them.
/// </summary>
internal sealed class ApiKeyStore
{
    private readonly Dictionary<string, Caller> _byHash = new(StringComparer.Ordinal);

    /// <summary>Reads the keys; throws naming the entry for a malformed hash, an empty name or an unknown role.</summary>
    public ApiKeyStore(IReadOnlyList<ApiKeyOptions> keys)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i];
            var path = $"{ServerOptions.Section}:ApiKeys:{i}";
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                throw new InvalidOperationException($"{path}:Name is empty.");
            }

            if (key.Sha256.Length != 64 || !IsHex(key.Sha256))
            {
                throw new InvalidOperationException($"{path}:Sha256 must be 64 hex digits (the SHA-256 of the key; run 'Biathlon.Host hash-key KEY').");
            }

            var roles = Role.None;
            foreach (var role in key.Roles)
            {
                roles |= role.ToLowerInvariant() switch
                {
                    "predict" => Role.Predict,
                    "admin" => Role.Admin,
                    _ => throw new InvalidOperationException($"{path}:Roles has unknown role '{role}' (known: predict, admin)."),
                };
            }

            var pipelines = key.Pipelines.Count == 0 || key.Pipelines.Contains("*") ? null : new HashSet<string>(key.Pipelines, StringComparer.Ordinal);
            if (!_byHash.TryAdd(key.Sha256.ToLowerInvariant(), new Caller(key.Name, roles, pipelines)))
            {
                throw new InvalidOperationException($"{path}:Sha256 repeats an earlier key's hash.");
            }
        }
    }

    /// <summary>False when no key is configured: every call is then <see cref="Caller.Anonymous"/>.</summary>
    public bool Enabled => _byHash.Count > 0;

    /// <summary>Checks a presented key (null: none presented) for <paramref name="role"/> on <paramref name="pipeline"/>.</summary>
    public AccessDecision Check(string? presentedKey, Role role, string? pipeline)
    {
        if (!Enabled)
        {
            return new AccessDecision(Caller.Anonymous, 200, null);
        }

        if (string.IsNullOrEmpty(presentedKey))
        {
            return new AccessDecision(null, 401, "An API key is required: send 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'.");
        }

        if (!_byHash.TryGetValue(Hash(presentedKey), out var caller))
        {
            return new AccessDecision(null, 401, "The API key is not known.");
        }

        if (!caller.May(role, pipeline))
        {
            var what = pipeline is null ? $"the {role.ToString().ToLowerInvariant()} role" : $"the {role.ToString().ToLowerInvariant()} role on pipeline '{pipeline}'";
            return new AccessDecision(null, 403, $"The API key '{caller.Name}' does not grant {what}.");
        }

        return new AccessDecision(caller, 200, null);
    }

    /// <summary>The lower-case hex SHA-256 of a key's UTF-8 bytes, as stored in configuration.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A new random key: 32 bytes from the system's cryptographic generator, base64url.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool IsHex(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
