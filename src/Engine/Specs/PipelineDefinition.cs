using Biathlon.Engine.Models;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Queries;

namespace Biathlon.Engine.Specs;

/// <summary>The type of a request field.</summary>
public enum RequestFieldType
{
    /// <summary>Text (JSON string).</summary>
    String,

    /// <summary>A whole number.</summary>
    Integer,

    /// <summary>Any number.</summary>
    Number,

    /// <summary>A date and time (ISO 8601 text, <see cref="DateTime"/>, or microseconds since 1970 as an integer).</summary>
    Timestamp,
}

/// <summary>How a request field becomes a model input.</summary>
public enum RequestTransform
{
    /// <summary>The field's value (numbers; timestamps as microseconds since 1970).</summary>
    Value,

    /// <summary>Hour of day (0–23) of a timestamp.</summary>
    HourOfDay,

    /// <summary>Day of week (0 = Sunday) of a timestamp.</summary>
    DayOfWeek,

    /// <summary>Day of year (1–366) of a timestamp.</summary>
    DayOfYear,

    /// <summary>Minute of day (0–1439) of a timestamp.</summary>
    MinuteOfDay,

    /// <summary>
    /// A string's 0-based index in the feature's categories (<see cref="InputDefinition.Categories"/>); an unseen value
    /// is the categories' count when <see cref="InputDefinition.Unknown"/> is <see cref="UnknownCategory.Other"/>.
    /// </summary>
    Code,

    /// <summary>
    /// One model input per category (and one more, last, for unseen values when <see cref="InputDefinition.Unknown"/>
    /// is <see cref="UnknownCategory.Other"/>): 1 for the string's category, else 0. Each input is one
    /// <see cref="InputDefinition"/> whose <see cref="InputDefinition.Category"/> says which.
    /// </summary>
    OneHot,
}

/// <summary>What a categorical request feature does with a value that is not among its categories.</summary>
public enum UnknownCategory
{
    /// <summary>The request is refused with a <see cref="RequestException"/> naming the field and the value.</summary>
    Error,

    /// <summary>The value is coded as one more category, after the declared ones (<c>name=&lt;other&gt;</c> for one-hot).</summary>
    Other,
}

/// <summary>What a feature query does with a key the table never holds.</summary>
public enum UnknownKeys
{
    /// <summary>The request is refused with a <see cref="RequestException"/> naming the request field and the query.</summary>
    Error,

    /// <summary>The query is served as no rows: COUNT, COUNT DISTINCT and SUM are 0, the other aggregates take their fill values.</summary>
    Empty,
}

/// <summary>A validated pipeline spec: tables, request schema, feature queries, model inputs, model, bound and planner settings.</summary>
public sealed record PipelineDefinition
{
    /// <summary>The spec file.</summary>
    public required string SpecFile { get; init; }

    /// <summary>The folder holding the spec; relative paths resolve against it.</summary>
    public required string Folder { get; init; }

    /// <summary>Pipeline name.</summary>
    public required string Name { get; init; }

    /// <summary>Free text.</summary>
    public string? Description { get; init; }

    /// <summary>Regression or classification.</summary>
    public required PredictionTask Task { get; init; }

    /// <summary>True for a classification pipeline with two classes.</summary>
    public bool IsBinary { get; init; }

    /// <summary>Tables.</summary>
    public required IReadOnlyList<TableDefinition> Tables { get; init; }

    /// <summary>Request fields.</summary>
    public required IReadOnlyList<RequestFieldDefinition> Request { get; init; }

    /// <summary>Feature queries.</summary>
    public required IReadOnlyList<QueryDefinition> Queries { get; init; }

    /// <summary>Model inputs, in the model's column order.</summary>
    public required IReadOnlyList<InputDefinition> Inputs { get; init; }

    /// <summary>The ONNX model file (absolute).</summary>
    public required string ModelFile { get; init; }

    /// <summary>ONNX Runtime threads per operator.</summary>
    public int ModelThreads { get; init; } = 1;

    /// <summary>Which code evaluates the model (<c>model.runtime</c>; default <see cref="ModelRuntime.Auto"/>).</summary>
    public ModelRuntime ModelRuntime { get; init; } = ModelRuntime.Auto;

    /// <summary>The bound: kind, δ (or the model metadata key that holds it) and τ.</summary>
    public required BoundDefinition Bound { get; init; }

    /// <summary>Planner settings.</summary>
    public required PlannerDefinition Planner { get; init; }
}

/// <summary>A table: source file, time column, partitions and seed.</summary>
public sealed record TableDefinition(string Name, string Source, string? TimeColumn, int Partitions, ulong Seed, string JsonPath)
{
    /// <summary>The table's census stratum (default: on, over the columns its queries SUM, AVG, VAR or STD).</summary>
    public CensusDefinition Census { get; init; } = CensusDefinition.Auto;

    /// <summary>Where the table's rows are served from (spec <c>"store"</c>): in process (the default) or a Redis store named by <see cref="EngineOptions.Redis"/>.</summary>
    public TableStoreKind Store { get; init; } = TableStoreKind.Memory;
}

/// <summary>Where a pipeline table's rows live while serving.</summary>
public enum TableStoreKind
{
    /// <summary>In the serving process: built from the source file (and cached as Arrow IPC beside the pipeline).</summary>
    Memory,

    /// <summary>In Redis or Redis Cluster, uploaded beforehand by the bulk loader; servers keep only an index and fetch rows per round.</summary>
    Redis,
}

/// <summary>
/// A table's census stratum (an outlier index, <see cref="Sampling.Layouts.CensusOptions"/>): rows beyond Tukey's far-out
/// fences of its columns are read exactly by every request, so a heavy tail's few huge rows cannot decide a sample.
/// </summary>
/// <param name="Enabled">False: no census; every row is sampled.</param>
/// <param name="Columns">The census columns; null: every Double or Int64 column the table's queries SUM, AVG, VAR or STD.</param>
/// <param name="Fence">k of the fences Q1 − k·IQR and Q3 + k·IQR.</param>
/// <param name="MaxShare">Largest share of rows one fence may select (per column and tail).</param>
public sealed record CensusDefinition(bool Enabled, IReadOnlyList<string>? Columns, double Fence, double MaxShare)
{
    /// <summary>The default: enabled, columns chosen from the queries, k = 3, at most 5% per column and tail.</summary>
    public static CensusDefinition Auto { get; } = new(true, null, 3, 0.05);
}

/// <summary>A request field.</summary>
public sealed record RequestFieldDefinition(string Name, RequestFieldType Type)
{
    /// <summary>
    /// The value used when the request lacks the field, holds null, or (integer and number fields) NaN: a
    /// <see cref="string"/>, <see cref="long"/>, <see cref="double"/> or <see cref="DateTime"/> by <see cref="Type"/>;
    /// null when the field is required.
    /// </summary>
    public object? Fill { get; init; }
}

/// <summary>A feature query: which rows (table, keys bound to request fields, a window relative to a request time, filters) and which aggregates.</summary>
public sealed record QueryDefinition
{
    /// <summary>Query name.</summary>
    public required string Name { get; init; }

    /// <summary>Table name.</summary>
    public required string Table { get; init; }

    /// <summary>Key column → request field.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Keys { get; init; }

    /// <summary>The request field the window is relative to, or null for no window.</summary>
    public string? WindowField { get; init; }

    /// <summary>Window start offset from the request time, in the time column's unit; <see cref="long.MinValue"/> when unbounded (every row before the end).</summary>
    public long WindowFrom { get; init; }

    /// <summary>Window end offset (exclusive); <see cref="long.MaxValue"/> when unbounded (every row from the start on).</summary>
    public long WindowTo { get; init; }

    /// <summary>Extra filters with constant values.</summary>
    public required IReadOnlyList<ColumnFilter> Filters { get; init; }

    /// <summary>The aggregates.</summary>
    public required IReadOnlyList<AggregateDefinition> Aggregates { get; init; }

    /// <summary>False for queries always computed exactly.</summary>
    public bool Sampled { get; init; } = true;

    /// <summary>What a key the table never holds does: refuse the request (default) or serve the query as no rows.</summary>
    public UnknownKeys UnknownKeys { get; init; } = UnknownKeys.Error;

    /// <summary>JSON path of the query in the spec, for errors found when tables load.</summary>
    public required string JsonPath { get; init; }
}

/// <summary>One aggregate of a query and the value a model sees when the aggregate is undefined (no rows).</summary>
public sealed record AggregateDefinition(string Name, AggregateSpec Spec, double Fill);

/// <summary>
/// A model input: a request field (transformed) or an aggregate of a query. A one-hot request feature is one input per
/// category, named <c>feature=category</c> (and <c>feature=&lt;other&gt;</c>), in the place the feature is listed.
/// </summary>
public sealed record InputDefinition
{
    /// <summary>Feature name.</summary>
    public required string Name { get; init; }

    /// <summary>For request inputs: the field; null for aggregates.</summary>
    public string? Field { get; init; }

    /// <summary>For request inputs: the transform.</summary>
    public RequestTransform Transform { get; init; }

    /// <summary>For <see cref="RequestTransform.Code"/> and <see cref="RequestTransform.OneHot"/>: the declared categories; null otherwise.</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>For categorical inputs: what a value outside <see cref="Categories"/> does.</summary>
    public UnknownCategory Unknown { get; init; }

    /// <summary>For one-hot inputs: the index of this input's category in <see cref="Categories"/> (its count for the unseen values' input); −1 otherwise.</summary>
    public int Category { get; init; } = -1;

    /// <summary>For aggregate inputs: the query's index; −1 for request inputs.</summary>
    public int Query { get; init; } = -1;

    /// <summary>For aggregate inputs: the aggregate's index within its query.</summary>
    public int Aggregate { get; init; } = -1;
}

/// <summary>The error bound.</summary>
/// <param name="Kind">Absolute, relative or error-at-confidence.</param>
/// <param name="Delta">δ, when given in the spec.</param>
/// <param name="DeltaMetadata">Model metadata key holding δ (for example the validation MAE stored by training), when δ is not given.</param>
/// <param name="Tau">τ.</param>
public sealed record BoundDefinition(BoundKind Kind, double? Delta, string? DeltaMetadata, double Tau)
{
    /// <summary>
    /// The <c>number</c> request field whose value is each request's δ (the relative fraction for relative bounds),
    /// when δ is given per request instead of by <see cref="Delta"/> or <see cref="DeltaMetadata"/>.
    /// </summary>
    public string? DeltaField { get; init; }
}

/// <summary>Planner settings.</summary>
public sealed record PlannerDefinition
{
    /// <summary>Initial sample fraction of sampled queries (default 0.05).</summary>
    public double InitialFraction { get; init; } = 0.05;

    /// <summary>
    /// Enough rows to start from (default 5000; 0 turns the rule off): a sampled query without filters whose window holds
    /// so many rows that <see cref="InitialFraction"/> of them exceeds this starts with the fewest partitions expected
    /// to hold this many rows instead. The sample needed for a given error depends on the values' spread, not on the
    /// table's size, so a fixed fraction over-reads large windows; the loop still widens until the bound holds. Filtered
    /// queries, fixed-fraction requests and an <see cref="InitialFraction"/> of 1 keep the fraction.
    /// </summary>
    public int InitialRows { get; init; } = 5000;

    /// <summary>Partitions added per round (0: one per sampled query).</summary>
    public int StepPartitions { get; init; }

    /// <summary>QMC base points N (default 128).</summary>
    public int BaseSamples { get; init; } = 128;

    /// <summary>The pipeline seed: mixed with each request's digest into the seed of its partition orders and QMC designs.</summary>
    public ulong Seed { get; init; }

    /// <summary>Minimum support (default 30).</summary>
    public int MinSupport { get; init; } = 30;

    /// <summary>Round limit (default 1000).</summary>
    public int MaxRounds { get; init; } = 1000;

    /// <summary>"sensitivity" (default), "uniform" or "random".</summary>
    public string Policy { get; init; } = "sensitivity";

    /// <summary>
    /// Let measured costs decide to read exactly what is cheaper to read exactly: a whole request, a query at the start,
    /// a query's remainder (default true). False: every plan depends on the request alone.
    /// </summary>
    public bool ExactShortcut { get; init; } = true;
}
