using System.Text.Json;
using System.Text.Json.Serialization;
using Biathlon.Sampling.Errors;
using Biathlon.Sampling.Schema;

namespace Biathlon.Redis;

/// <summary>
/// A stored table's description (docs/store.md, "Manifest"): everything but the rows and the layout indexes. Stored as
/// JSON inside a sealed blob.
/// </summary>
internal sealed class StoredManifest
{
    private static readonly uint s_magic = SealedBlob.MagicOf("BTM1");

    public int Format { get; set; } = 1;

    public string Name { get; set; } = "";

    public string Generation { get; set; } = "";

    public int Partitions { get; set; }

    public ulong Seed { get; set; }

    public string? TimeColumn { get; set; }

    public int RowsWithNullTime { get; set; }

    public List<StoredColumn> Columns { get; set; } = [];

    public List<StoredLayout> Layouts { get; set; } = [];

    public StoredCensus? Census { get; set; }

    public byte[] ToValue() => SealedBlob.Seal(s_magic, JsonSerializer.SerializeToUtf8Bytes(this, StoredManifestJson.Default.StoredManifest));

    public static StoredManifest FromValue(string key, byte[] value)
    {
        var payload = SealedBlob.Open(s_magic, key, value);
        try
        {
            var manifest = JsonSerializer.Deserialize(payload.Span, StoredManifestJson.Default.StoredManifest);
            return manifest is { Format: 1 }
                ? manifest
                : throw new DataSourceException(key, $"Redis value '{key}' is not a format-1 table manifest; this server reads format 1.");
        }
        catch (JsonException e)
        {
            throw new DataSourceException(key, $"Redis value '{key}' is not a readable table manifest: {e.Message}", e);
        }
    }
}

internal sealed class StoredColumn
{
    public string Name { get; set; } = "";

    public ColumnType Type { get; set; }

    /// <summary>A string column's dictionary: the string of each code.</summary>
    public List<string>? Strings { get; set; }
}

internal sealed class StoredLayout
{
    public string Name { get; set; } = "";

    public List<string> Keys { get; set; } = [];
}

internal sealed class StoredCensus
{
    public long Rows { get; set; }

    public List<StoredCensusColumn> Columns { get; set; } = [];
}

internal sealed class StoredCensusColumn
{
    public string Name { get; set; } = "";

    public double Low { get; set; }

    public double High { get; set; }
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StoredManifest))]
internal sealed partial class StoredManifestJson : JsonSerializerContext;
