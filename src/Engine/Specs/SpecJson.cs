using System.Text.Json;

namespace Biathlon.Engine.Specs;

// The pipeline.json document as written (docs/pipelines.md). Everything is optional here; PipelineSpecLoader checks
// presence and meaning and reports the JSON path of anything wrong.
internal sealed class PipelineJson
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public string? Task { get; set; }

    public List<TableJson>? Tables { get; set; }

    public List<RequestFieldJson>? Request { get; set; }

    public List<RequestFeatureJson>? RequestFeatures { get; set; }

    public List<QueryJson>? Queries { get; set; }

    public List<string>? Inputs { get; set; }

    public ModelJson? Model { get; set; }

    public BoundJson? Bound { get; set; }

    public PlannerJson? Planner { get; set; }
}

internal sealed class TableJson
{
    public string? Name { get; set; }

    public string? Source { get; set; }

    public string? TimeColumn { get; set; }

    public int? Partitions { get; set; }

    public ulong? Seed { get; set; }

    public CensusJson? Census { get; set; }

    public string? Store { get; set; }
}

internal sealed class CensusJson
{
    public bool? Enabled { get; set; }

    public List<string>? Columns { get; set; }

    public double? Fence { get; set; }

    public double? MaxShare { get; set; }
}

internal sealed class RequestFieldJson
{
    public string? Name { get; set; }

    public string? Type { get; set; }

    public JsonElement Fill { get; set; }
}

internal sealed class RequestFeatureJson
{
    public string? Name { get; set; }

    public string? Field { get; set; }

    public string? Transform { get; set; }

    public List<string?>? Categories { get; set; }

    public string? Unknown { get; set; }
}

internal sealed class QueryJson
{
    public string? Name { get; set; }

    public string? Table { get; set; }

    public Dictionary<string, string>? Keys { get; set; }

    public WindowJson? Window { get; set; }

    public List<FilterJson>? Filters { get; set; }

    public List<AggregateJson>? Aggregates { get; set; }

    public bool? Sampled { get; set; }

    public string? UnknownKeys { get; set; }
}

internal sealed class WindowJson
{
    public string? Field { get; set; }

    public string? From { get; set; }

    public string? To { get; set; }
}

internal sealed class FilterJson
{
    public string? Column { get; set; }

    public string? Op { get; set; }

    public JsonElement Value { get; set; }
}

internal sealed class AggregateJson
{
    public string? Name { get; set; }

    public string? Op { get; set; }

    public string? Column { get; set; }

    public double? Quantile { get; set; }

    public double? Fill { get; set; }
}

internal sealed class ModelJson
{
    public string? File { get; set; }

    public int? Threads { get; set; }

    public string? Runtime { get; set; }
}

internal sealed class BoundJson
{
    public string? Kind { get; set; }

    public double? Delta { get; set; }

    public string? DeltaMetadata { get; set; }

    public string? DeltaField { get; set; }

    public double? Tau { get; set; }
}

internal sealed class PlannerJson
{
    public double? InitialFraction { get; set; }

    public int? InitialRows { get; set; }

    public int? StepPartitions { get; set; }

    public int? BaseSamples { get; set; }

    public ulong? Seed { get; set; }

    public int? MinSupport { get; set; }

    public int? MaxRounds { get; set; }

    public string? Policy { get; set; }

    public bool? ExactShortcut { get; set; }
}
