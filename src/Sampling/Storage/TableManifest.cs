using System.Text.Json.Serialization;
using Biathlon.Sampling.Schema;

namespace Biathlon.Sampling.Storage;

/// <summary>The <c>table.json</c> of a saved table: everything but the column data, which lives in Arrow IPC files.</summary>
internal sealed class TableManifest
{
    /// <summary>2: the optional census stratum (format 1 had none).</summary>
    public const int CurrentFormat = 2;

    public int Format { get; set; } = CurrentFormat;

    public string Name { get; set; } = "";

    public int Partitions { get; set; }

    public ulong Seed { get; set; }

    public string? TimeColumn { get; set; }

    public int RowsWithNullTime { get; set; }

    public List<ManifestColumn> Columns { get; set; } = [];

    public List<ManifestLayout> Layouts { get; set; } = [];

    public ManifestCensus? Census { get; set; }
}

internal sealed class ManifestCensus
{
    public long Rows { get; set; }

    public List<ManifestCensusColumn> Columns { get; set; } = [];
}

internal sealed class ManifestCensusColumn
{
    public string Name { get; set; } = "";

    public double Low { get; set; }

    public double High { get; set; }
}

internal sealed class ManifestColumn
{
    public string Name { get; set; } = "";

    public ColumnType Type { get; set; }
}

internal sealed class ManifestLayout
{
    public string Name { get; set; } = "";

    public List<string> Keys { get; set; } = [];

    public int Groups { get; set; }

    public long Rows { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TableManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
