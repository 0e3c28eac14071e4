using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Biathlon.Engine.Models;
using Biathlon.Planner.Propagation;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Engine.Specs;

/// <summary>
/// Reads and validates a pipeline spec (<c>pipeline.json</c>, format in docs/pipelines.md). Every reference is
/// checked; the first problem is raised as a <see cref="PipelineSpecException"/> naming the file and the JSON path of
/// the bad value. Checks that need the data (column names and types) happen when the engine loads the tables.
/// </summary>
public static class PipelineSpecLoader
{
    /// <summary>The spec file name inside a pipeline folder.</summary>
    public const string SpecFileName = "pipeline.json";

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Loads the spec of a pipeline folder (or a spec file path).</summary>
    /// <param name="pipeline">A pipeline folder holding <c>pipeline.json</c>, or the spec file itself.</param>
    /// <param name="dataDirectory">What <c>${data}</c> in table sources stands for; default $BIATHLON_DATA, else the nearest <c>data/real</c> folder at or above the pipeline folder, else its <c>data</c> subfolder.</param>
    public static PipelineDefinition Load(string pipeline, string? dataDirectory = null)
    {
        var file = Directory.Exists(pipeline) ? Path.Combine(pipeline, SpecFileName) : pipeline;
        file = Path.GetFullPath(file);
        if (!File.Exists(file))
        {
            throw new PipelineSpecException(file, "$", $"No pipeline spec at '{file}'.");
        }

        PipelineJson json;
        try
        {
            json = JsonSerializer.Deserialize<PipelineJson>(File.ReadAllBytes(file), s_json) ?? throw new JsonException("The document is null.");
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1})" : "";
            throw new PipelineSpecException(file, e.Path ?? "$", $"Not a valid pipeline spec{where}: {e.Message}", e);
        }

        var folder = Path.GetDirectoryName(file)!;
        dataDirectory ??= Environment.GetEnvironmentVariable("BIATHLON_DATA") is { Length: > 0 } env ? env : NearestDataFolder(folder);
        return new Validator(file, folder, dataDirectory).Validate(json);
    }

    private static string NearestDataFolder(string folder)
    {
        for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "real");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine(folder, "data");
    }

    /// <summary>Parses a window offset: an integer with an optional unit s, m, h, d or w ("-30d", "-1h", "0", "-720").</summary>
    internal static bool TryParseOffset(string text, out long value, out bool hasUnit)
    {
        value = 0;
        hasUnit = false;
        text = text.Trim();
        if (text.Length == 0)
        {
            return false;
        }

        var unit = char.ToLowerInvariant(text[^1]);
        long scale = unit switch
        {
            's' => TimeValue.MicrosPerSecond,
            'm' => TimeValue.MicrosPerMinute,
            'h' => TimeValue.MicrosPerHour,
            'd' => TimeValue.MicrosPerDay,
            'w' => 7 * TimeValue.MicrosPerDay,
            _ => 0,
        };
        hasUnit = scale != 0;
        var number = hasUnit ? text[..^1] : text;
        if (!long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        if (hasUnit && (amount > long.MaxValue / scale || amount < long.MinValue / scale))
        {
            return false; // the offset in microseconds does not fit 64 bits
        }

        value = hasUnit ? amount * scale : amount;

        // long.MinValue and long.MaxValue stand for an unbounded window end (QueryDefinition.WindowFrom / WindowTo).
        return value is not (long.MinValue or long.MaxValue);
    }

    /// <summary>The text that makes a window end open (<c>"from": "unbounded"</c>, <c>"to": "unbounded"</c>).</summary>
    internal const string Unbounded = "unbounded";

    /// <summary>The input name of a one-hot column: <c>feature=category</c>, <c>feature=&lt;other&gt;</c> for unseen values.</summary>
    internal static string OneHotName(string feature, string? category) => $"{feature}={category ?? OtherCategory}";

    /// <summary>The category name of a one-hot feature's column for unseen values.</summary>
    internal const string OtherCategory = "<other>";

    private sealed class Validator(string file, string folder, string dataDirectory)
    {
        public PipelineDefinition Validate(PipelineJson json)
        {
            var name = Required(json.Name, "$.name");
            var (task, binary) = json.Task?.ToLowerInvariant() switch
            {
                "regression" => (PredictionTask.Regression, false),
                "binary" => (PredictionTask.Classification, true),
                "multiclass" => (PredictionTask.Classification, false),
                null => throw Fail("$.task", "is missing; use \"regression\", \"binary\" or \"multiclass\"."),
                var other => throw Fail("$.task", $"'{other}' is not a task; use \"regression\", \"binary\" or \"multiclass\"."),
            };

            var tables = Tables(json.Tables);
            var request = Request(json.Request);
            var requestFeatures = RequestFeatures(json.RequestFeatures, request);
            var queries = Queries(json.Queries, tables, request);
            var inputs = Inputs(json.Inputs, requestFeatures, queries);
            var model = json.Model ?? throw Fail("$.model", "is missing; give {\"file\": \"model.onnx\"}.");
            var modelFile = Path.GetFullPath(Path.Combine(folder, Required(model.File, "$.model.file")));
            if (model.Threads is < 1 or > 64)
            {
                throw Fail("$.model.threads", $"must lie in [1, 64] (got {model.Threads}).");
            }

            var runtime = model.Runtime switch
            {
                null or "auto" => ModelRuntime.Auto,
                "native" => ModelRuntime.Native,
                "onnxruntime" => ModelRuntime.OnnxRuntime,
                _ => throw Fail("$.model.runtime", $"must be \"auto\", \"native\" or \"onnxruntime\" (got \"{model.Runtime}\")."),
            };

            return new PipelineDefinition
            {
                SpecFile = file,
                Folder = folder,
                Name = name,
                Description = json.Description,
                Task = task,
                IsBinary = binary,
                Tables = tables,
                Request = request,
                Queries = queries,
                Inputs = inputs,
                ModelFile = modelFile,
                ModelThreads = model.Threads ?? 1,
                ModelRuntime = runtime,
                Bound = Bound(json.Bound, task, request),
                Planner = Planner(json.Planner),
            };
        }

        private List<TableDefinition> Tables(List<TableJson>? tables)
        {
            if (tables is not { Count: > 0 })
            {
                throw Fail("$.tables", "needs at least one table.");
            }

            var result = new List<TableDefinition>();
            for (var i = 0; i < tables.Count; i++)
            {
                var path = $"$.tables[{i}]";
                var table = tables[i];
                var tableName = Unique(table.Name, $"{path}.name", result.Select(t => t.Name));
                var source = Required(table.Source, $"{path}.source").Replace("${data}", dataDirectory, StringComparison.Ordinal);
                source = Path.GetFullPath(Path.Combine(folder, source));
                if (table.Partitions is < 1 or > 65_536)
                {
                    throw Fail($"{path}.partitions", $"must lie in [1, 65536] (got {table.Partitions}).");
                }

                var store = table.Store switch
                {
                    null or "memory" => TableStoreKind.Memory,
                    "redis" => TableStoreKind.Redis,
                    _ => throw Fail($"{path}.store", $"must be \"memory\" or \"redis\" (got \"{table.Store}\"); the Redis connection comes from the engine's configuration, never the spec."),
                };
                result.Add(new TableDefinition(tableName, source, table.TimeColumn, table.Partitions ?? 100, table.Seed ?? 0, path)
                {
                    Census = Census(table.Census, $"{path}.census"),
                    Store = store,
                });
            }

            return result;
        }

        private CensusDefinition Census(CensusJson? census, string path)
        {
            if (census is null)
            {
                return CensusDefinition.Auto;
            }

            var defaults = CensusDefinition.Auto;
            if (census.Fence is { } fence && !(fence >= 0 && double.IsFinite(fence)))
            {
                throw Fail($"{path}.fence", $"must be finite and at least 0 (got {fence.ToString(CultureInfo.InvariantCulture)}).");
            }

            if (census.MaxShare is { } share && !(share > 0 && share < 0.5))
            {
                throw Fail($"{path}.maxShare", $"must lie in (0, 0.5) (got {share.ToString(CultureInfo.InvariantCulture)}).");
            }

            if (census.Columns is { } columns)
            {
                for (var c = 0; c < columns.Count; c++)
                {
                    if (string.IsNullOrWhiteSpace(columns[c]))
                    {
                        throw Fail($"{path}.columns[{c}]", "must name a column.");
                    }
                }
            }

            return new CensusDefinition(
                census.Enabled ?? defaults.Enabled, census.Columns, census.Fence ?? defaults.Fence, census.MaxShare ?? defaults.MaxShare);
        }

        private List<RequestFieldDefinition> Request(List<RequestFieldJson>? fields)
        {
            if (fields is not { Count: > 0 })
            {
                throw Fail("$.request", "needs at least one field.");
            }

            var result = new List<RequestFieldDefinition>();
            for (var i = 0; i < fields.Count; i++)
            {
                var path = $"$.request[{i}]";
                var fieldName = Unique(fields[i].Name, $"{path}.name", result.Select(f => f.Name));
                var type = fields[i].Type?.ToLowerInvariant() switch
                {
                    "string" => RequestFieldType.String,
                    "integer" => RequestFieldType.Integer,
                    "number" => RequestFieldType.Number,
                    "timestamp" => RequestFieldType.Timestamp,
                    var other => throw Fail($"{path}.type", $"'{other}' is not a field type; use string, integer, number or timestamp."),
                };
                result.Add(new RequestFieldDefinition(fieldName, type) { Fill = Fill(fields[i].Fill, type, $"{path}.fill") });
            }

            return result;
        }

        /// <summary>A request field's fill as the CLR value a request would carry; null when there is none.</summary>
        private object? Fill(JsonElement fill, RequestFieldType type, string path)
        {
            if (fill.ValueKind == JsonValueKind.Undefined)
            {
                return null;
            }

            switch (type)
            {
                case RequestFieldType.String when fill.ValueKind == JsonValueKind.String:
                    return fill.GetString()!;
                case RequestFieldType.Integer when fill.ValueKind == JsonValueKind.Number && fill.TryGetInt64(out var whole):
                    return whole;
                case RequestFieldType.Number when fill.ValueKind == JsonValueKind.Number && fill.TryGetDouble(out var number) && double.IsFinite(number):
                    return number;
                case RequestFieldType.Timestamp when fill.ValueKind == JsonValueKind.String:
                    var text = fill.GetString()!;
                    if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind | DateTimeStyles.AllowWhiteSpaces, out var time))
                    {
                        throw Fail(path, $"'{text}' is not an ISO 8601 timestamp (for example \"2024-03-01T00:00:00\").");
                    }

                    return time;
                default:
                    var expected = type switch
                    {
                        RequestFieldType.String => "a string",
                        RequestFieldType.Integer => "a whole number",
                        RequestFieldType.Number => "a finite number",
                        _ => "an ISO 8601 timestamp string",
                    };
                    throw Fail(path, $"the field is {type}, so its fill must be {expected}; got {fill.GetRawText()}.");
            }
        }

        private List<InputDefinition> RequestFeatures(List<RequestFeatureJson>? features, List<RequestFieldDefinition> request)
        {
            var result = new List<InputDefinition>();
            for (var i = 0; i < (features?.Count ?? 0); i++)
            {
                var path = $"$.requestFeatures[{i}]";
                var feature = features![i];
                var featureName = Unique(feature.Name, $"{path}.name", result.Select(f => f.Name));
                var field = FindField(request, feature.Field, $"{path}.field");
                var transform = feature.Transform?.ToLowerInvariant() switch
                {
                    null or "value" => RequestTransform.Value,
                    "hourofday" => RequestTransform.HourOfDay,
                    "dayofweek" => RequestTransform.DayOfWeek,
                    "dayofyear" => RequestTransform.DayOfYear,
                    "minuteofday" => RequestTransform.MinuteOfDay,
                    "code" => RequestTransform.Code,
                    "onehot" => RequestTransform.OneHot,
                    var other => throw Fail($"{path}.transform",
                        $"'{other}' is not a transform; use value, hourOfDay, dayOfWeek, dayOfYear, minuteOfDay, code or oneHot."),
                };
                if (transform is RequestTransform.Code or RequestTransform.OneHot)
                {
                    if (field.Type != RequestFieldType.String)
                    {
                        throw Fail($"{path}.transform", $"{feature.Transform} needs a string field; '{field.Name}' is {field.Type}.");
                    }

                    var (categories, unknown) = Categories(feature, featureName, transform, path);
                    result.Add(new InputDefinition
                    {
                        Name = featureName,
                        Field = field.Name,
                        Transform = transform,
                        Categories = categories,
                        Unknown = unknown,
                    });
                    continue;
                }

                if (feature.Categories is not null || feature.Unknown is not null)
                {
                    throw Fail(feature.Categories is not null ? $"{path}.categories" : $"{path}.unknown",
                        $"only a categorical feature (transform code or oneHot) has categories; this one's transform is {transform}.");
                }

                if (field.Type == RequestFieldType.String)
                {
                    throw Fail($"{path}.field",
                        $"field '{field.Name}' is a string; a model input must be numeric (use transform code or oneHot with categories to encode a string).");
                }

                if (transform != RequestTransform.Value && field.Type != RequestFieldType.Timestamp)
                {
                    throw Fail($"{path}.transform", $"{feature.Transform} needs a timestamp field; '{field.Name}' is {field.Type}.");
                }

                result.Add(new InputDefinition { Name = featureName, Field = field.Name, Transform = transform });
            }

            return result;
        }

        private (string[] Categories, UnknownCategory Unknown) Categories(RequestFeatureJson feature, string featureName, RequestTransform transform, string path)
        {
            if (feature.Categories is not { Count: > 0 } categories)
            {
                throw Fail($"{path}.categories", $"is missing or empty; transform {feature.Transform} needs the list of categories, such as [\"Seattle\", \"New York\"].");
            }

            var unknown = feature.Unknown?.ToLowerInvariant() switch
            {
                null or "error" => UnknownCategory.Error,
                "other" => UnknownCategory.Other,
                var other => throw Fail($"{path}.unknown", $"'{other}' is not a policy for unseen values; use \"error\" or \"other\"."),
            };
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var c = 0; c < categories.Count; c++)
            {
                var category = categories[c] ?? throw Fail($"{path}.categories[{c}]", "must be a string.");
                if (!seen.Add(category))
                {
                    throw Fail($"{path}.categories[{c}]", $"'{category}' is listed twice.");
                }

                if (transform == RequestTransform.OneHot && unknown == UnknownCategory.Other && category == OtherCategory)
                {
                    throw Fail($"{path}.categories[{c}]", $"'{OtherCategory}' names the input '{OneHotName(featureName, null)}' for unseen values; rename the category.");
                }
            }

            return (categories.Select(c => c!).ToArray(), unknown);
        }

        private List<QueryDefinition> Queries(List<QueryJson>? queries, List<TableDefinition> tables, List<RequestFieldDefinition> request)
        {
            var result = new List<QueryDefinition>();
            for (var i = 0; i < (queries?.Count ?? 0); i++)
            {
                var path = $"$.queries[{i}]";
                var query = queries![i];
                var queryName = Unique(query.Name, $"{path}.name", result.Select(q => q.Name));
                var table = Required(query.Table, $"{path}.table");
                if (tables.All(t => t.Name != table))
                {
                    throw Fail($"{path}.table", $"no table '{table}' (tables: {string.Join(", ", tables.Select(t => t.Name))}).");
                }

                var keys = new List<KeyValuePair<string, string>>();
                foreach (var (column, field) in query.Keys ?? [])
                {
                    FindField(request, field, $"{path}.keys.{column}");
                    keys.Add(new(column, field));
                }

                string? windowField = null;
                long from = 0, to = 0;
                if (query.Window is { } window)
                {
                    var field = FindField(request, window.Field, $"{path}.window.field");
                    if (field.Type is not (RequestFieldType.Timestamp or RequestFieldType.Integer))
                    {
                        throw Fail($"{path}.window.field", $"field '{field.Name}' is {field.Type}; a window needs a timestamp or integer field.");
                    }

                    from = IsUnbounded(window.From) ? long.MinValue : Offset(window.From, $"{path}.window.from", field.Type);
                    to = IsUnbounded(window.To) ? long.MaxValue : Offset(window.To, $"{path}.window.to", field.Type);
                    if (from > to)
                    {
                        throw Fail($"{path}.window.from", $"the window starts after it ends ('{window.From}' > '{window.To}').");
                    }

                    windowField = field.Name;
                }

                var unknownKeys = query.UnknownKeys?.ToLowerInvariant() switch
                {
                    null or "error" => UnknownKeys.Error,
                    "empty" => UnknownKeys.Empty,
                    var other => throw Fail($"{path}.unknownKeys", $"'{other}' is not a policy for unknown keys; use \"error\" or \"empty\"."),
                };
                if (query.UnknownKeys is not null && keys.Count == 0)
                {
                    throw Fail($"{path}.unknownKeys", "the query has no keys, so no key can be unknown; remove unknownKeys.");
                }

                result.Add(new QueryDefinition
                {
                    Name = queryName,
                    Table = table,
                    Keys = keys,
                    WindowField = windowField,
                    WindowFrom = from,
                    WindowTo = to,
                    Filters = Filters(query.Filters, $"{path}.filters"),
                    Aggregates = Aggregates(query.Aggregates, $"{path}.aggregates", queryName),
                    Sampled = query.Sampled ?? true,
                    UnknownKeys = unknownKeys,
                    JsonPath = path,
                });
            }

            return result;
        }

        private static bool IsUnbounded(string? text) => string.Equals(text?.Trim(), Unbounded, StringComparison.OrdinalIgnoreCase);

        private long Offset(string? text, string path, RequestFieldType fieldType)
        {
            if (text is null || !TryParseOffset(text, out var value, out var hasUnit))
            {
                throw Fail(path,
                    $"'{text}' is not an offset; write an integer with an optional unit s, m, h, d or w, such as \"-30d\" (within ±2^63 in the time column's unit), or \"{Unbounded}\".");
            }

            if (fieldType == RequestFieldType.Timestamp && !hasUnit && value != 0)
            {
                throw Fail(path, $"'{text}' needs a unit (s, m, h, d, w) because the window field is a timestamp.");
            }

            if (fieldType == RequestFieldType.Integer && hasUnit)
            {
                throw Fail(path, $"'{text}' has a unit but the window field is an integer; give a plain integer offset.");
            }

            return value;
        }

        private List<ColumnFilter> Filters(List<FilterJson>? filters, string path)
        {
            var result = new List<ColumnFilter>();
            for (var i = 0; i < (filters?.Count ?? 0); i++)
            {
                var filter = filters![i];
                var column = Required(filter.Column, $"{path}[{i}].column");
                var op = filter.Op switch
                {
                    "=" or "==" => FilterOp.Equal,
                    "!=" or "<>" => FilterOp.NotEqual,
                    "<" => FilterOp.Less,
                    "<=" => FilterOp.LessOrEqual,
                    ">" => FilterOp.Greater,
                    ">=" => FilterOp.GreaterOrEqual,
                    var other => throw Fail($"{path}[{i}].op", $"'{other}' is not a comparison; use =, !=, <, <=, > or >=."),
                };
                object value = filter.Value.ValueKind switch
                {
                    JsonValueKind.String => filter.Value.GetString()!,
                    JsonValueKind.Number when filter.Value.TryGetInt64(out var l) => l,
                    JsonValueKind.Number => filter.Value.GetDouble(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw Fail($"{path}[{i}].value", "must be a string, a number or a boolean."),
                };
                result.Add(new ColumnFilter(column, op, value));
            }

            return result;
        }

        private List<AggregateDefinition> Aggregates(List<AggregateJson>? aggregates, string path, string queryName)
        {
            if (aggregates is not { Count: > 0 })
            {
                throw Fail(path, "needs at least one aggregate.");
            }

            var result = new List<AggregateDefinition>();
            for (var i = 0; i < aggregates.Count; i++)
            {
                var item = $"{path}[{i}]";
                var aggregate = aggregates[i];
                var op = aggregate.Op?.ToLowerInvariant() switch
                {
                    "count" => AggregateOp.Count,
                    "sum" => AggregateOp.Sum,
                    "avg" or "mean" => AggregateOp.Avg,
                    "var" => AggregateOp.Var,
                    "std" or "stddev" => AggregateOp.Std,
                    "min" => AggregateOp.Min,
                    "max" => AggregateOp.Max,
                    "median" => AggregateOp.Median,
                    "percentile" or "quantile" => AggregateOp.Percentile,
                    "countdistinct" or "count_distinct" => AggregateOp.CountDistinct,
                    var other => throw Fail($"{item}.op", $"'{other}' is not an operator; use count, sum, avg, var, std, min, max, median, percentile or countDistinct."),
                };
                if (op != AggregateOp.Count && aggregate.Column is null)
                {
                    throw Fail($"{item}.column", $"{op} needs a column.");
                }

                var quantile = aggregate.Quantile ?? 0.5;
                if (op == AggregateOp.Percentile && !(quantile >= 0 && quantile <= 1))
                {
                    throw Fail($"{item}.quantile", $"must lie in [0, 1] (got {quantile.ToString(CultureInfo.InvariantCulture)}).");
                }

                if (aggregate.Fill is { } fill && !double.IsFinite(fill))
                {
                    throw Fail($"{item}.fill", "must be a finite number.");
                }

                var spec = new AggregateSpec(op, aggregate.Column, quantile);
                var defaultName = $"{queryName}.{op.ToString().ToLowerInvariant()}_{aggregate.Column ?? "rows"}";
                var aggregateName = Unique(aggregate.Name ?? defaultName, $"{item}.name", result.Select(a => a.Name));
                result.Add(new AggregateDefinition(aggregateName, spec, aggregate.Fill ?? 0));
            }

            return result;
        }

        private List<InputDefinition> Inputs(List<string>? inputs, List<InputDefinition> requestFeatures, List<QueryDefinition> queries)
        {
            if (inputs is not { Count: > 0 })
            {
                throw Fail("$.inputs", "needs at least one model input (names of request features and aggregates, in the model's column order).");
            }

            var result = new List<InputDefinition>();
            for (var i = 0; i < inputs.Count; i++)
            {
                var inputName = inputs[i];
                if (inputs.Take(i).Contains(inputName))
                {
                    throw Fail($"$.inputs[{i}]", $"'{inputName}' is listed twice.");
                }

                if (result.Any(r => r.Name == inputName))
                {
                    throw Fail($"$.inputs[{i}]", $"'{inputName}' is already the name of an input of a one-hot feature listed before it.");
                }

                var fromRequest = requestFeatures.FirstOrDefault(f => f.Name == inputName);
                if (fromRequest is { Transform: RequestTransform.OneHot, Categories: { } categories })
                {
                    // A one-hot feature expands in place: one input per category, then one for unseen values.
                    var columns = categories.Count + (fromRequest.Unknown == UnknownCategory.Other ? 1 : 0);
                    for (var c = 0; c < columns; c++)
                    {
                        var column = OneHotName(inputName, c < categories.Count ? categories[c] : null);
                        if (result.Any(r => r.Name == column))
                        {
                            throw Fail($"$.inputs[{i}]", $"one-hot feature '{inputName}' gives an input named '{column}', which is already an input.");
                        }

                        result.Add(fromRequest with { Name = column, Category = c });
                    }

                    continue;
                }

                if (fromRequest is not null)
                {
                    result.Add(fromRequest);
                    continue;
                }

                var found = false;
                for (var q = 0; q < queries.Count && !found; q++)
                {
                    for (var a = 0; a < queries[q].Aggregates.Count; a++)
                    {
                        if (queries[q].Aggregates[a].Name == inputName)
                        {
                            result.Add(new InputDefinition { Name = inputName, Query = q, Aggregate = a });
                            found = true;
                            break;
                        }
                    }
                }

                if (!found)
                {
                    throw Fail($"$.inputs[{i}]", $"'{inputName}' is neither a request feature nor an aggregate.");
                }
            }

            for (var q = 0; q < queries.Count; q++)
            {
                if (result.All(input => input.Query != q))
                {
                    throw Fail($"$.queries[{q}]", $"query '{queries[q].Name}' feeds no model input; list one of its aggregates in $.inputs or remove it.");
                }
            }

            return result;
        }

        private BoundDefinition Bound(BoundJson? bound, PredictionTask task, List<RequestFieldDefinition> request)
        {
            if (bound is null)
            {
                throw Fail("$.bound", "is missing; give {\"delta\": …, \"tau\": 0.95}.");
            }

            var kind = bound.Kind?.ToLowerInvariant() switch
            {
                null or "absolute" => BoundKind.AbsoluteError,
                "relative" => BoundKind.RelativeError,
                "erroratconfidence" => BoundKind.ErrorAtConfidence,
                var other => throw Fail("$.bound.kind", $"'{other}' is not a bound kind; use absolute, relative or errorAtConfidence."),
            };
            if (bound.Delta is not null && bound.DeltaMetadata is not null)
            {
                throw Fail("$.bound.deltaMetadata", "give either delta or deltaMetadata, not both.");
            }

            if (bound.DeltaField is { } deltaField)
            {
                if (bound.Delta is not null || bound.DeltaMetadata is not null)
                {
                    throw Fail("$.bound.deltaField", "give one of delta, deltaMetadata or deltaField, not several.");
                }

                if (task == PredictionTask.Classification)
                {
                    throw Fail("$.bound.deltaField", "a classification pipeline has no δ (the label must not change); remove deltaField.");
                }

                var field = FindField(request, deltaField, "$.bound.deltaField");
                if (field.Type != RequestFieldType.Number)
                {
                    throw Fail("$.bound.deltaField", $"field '{field.Name}' is {field.Type}; δ per request needs a number field.");
                }
            }

            if (bound.Delta is { } delta && (!(delta >= 0) || double.IsInfinity(delta)))
            {
                throw Fail("$.bound.delta", $"δ must be finite and at least 0 (got {delta.ToString(CultureInfo.InvariantCulture)}).");
            }

            if (bound.Delta is null && bound.DeltaMetadata is null && bound.DeltaField is null && task == PredictionTask.Regression)
            {
                throw Fail("$.bound.delta",
                    "is missing; give delta, deltaMetadata naming the model metadata entry that holds it, or deltaField naming the request field that holds each request's δ.");
            }

            var tau = bound.Tau ?? 0.95;
            if (!(tau > 0 && tau < 1))
            {
                throw Fail("$.bound.tau", $"τ must lie in (0, 1) (got {tau.ToString(CultureInfo.InvariantCulture)}).");
            }

            var fixedDelta = task == PredictionTask.Classification ? 0 : bound.Delta;
            return new BoundDefinition(kind, fixedDelta, task == PredictionTask.Classification ? null : bound.DeltaMetadata, tau) { DeltaField = bound.DeltaField };
        }

        private PlannerDefinition Planner(PlannerJson? planner)
        {
            planner ??= new PlannerJson();
            var result = new PlannerDefinition();
            if (planner.InitialFraction is { } initial && !(initial > 0 && initial <= 1))
            {
                throw Fail("$.planner.initialFraction", $"must lie in (0, 1] (got {initial.ToString(CultureInfo.InvariantCulture)}).");
            }

            if (planner.InitialRows is < 0)
            {
                throw Fail("$.planner.initialRows", $"must be at least 0 (got {planner.InitialRows}); 0 turns the rule off.");
            }

            if (planner.BaseSamples is { } n && (n < 2 || n > 65_536 || !BitOperations.IsPow2(n)))
            {
                throw Fail("$.planner.baseSamples", $"must be a power of two in [2, 65536] (got {n}).");
            }

            if (planner.StepPartitions is < 0)
            {
                throw Fail("$.planner.stepPartitions", $"must be at least 0 (got {planner.StepPartitions}).");
            }

            if (planner.MinSupport is < 1)
            {
                throw Fail("$.planner.minSupport", $"must be at least 1 (got {planner.MinSupport}).");
            }

            if (planner.MaxRounds is < 1)
            {
                throw Fail("$.planner.maxRounds", $"must be at least 1 (got {planner.MaxRounds}).");
            }

            if (planner.Policy is { } policy && policy is not ("sensitivity" or "uniform" or "random"))
            {
                throw Fail("$.planner.policy", $"'{policy}' is not a policy; use sensitivity, uniform or random.");
            }

            return result with
            {
                InitialFraction = planner.InitialFraction ?? result.InitialFraction,
                InitialRows = planner.InitialRows ?? result.InitialRows,
                StepPartitions = planner.StepPartitions ?? result.StepPartitions,
                BaseSamples = planner.BaseSamples ?? result.BaseSamples,
                Seed = planner.Seed ?? result.Seed,
                MinSupport = planner.MinSupport ?? result.MinSupport,
                MaxRounds = planner.MaxRounds ?? result.MaxRounds,
                Policy = planner.Policy ?? result.Policy,
                ExactShortcut = planner.ExactShortcut ?? result.ExactShortcut,
            };
        }

        private RequestFieldDefinition FindField(List<RequestFieldDefinition> request, string? name, string path) =>
            request.FirstOrDefault(f => f.Name == name)
            ?? throw Fail(path, name is null
                ? "is missing; name a request field."
                : $"no request field '{name}' (fields: {string.Join(", ", request.Select(f => f.Name))}).");

        private string Required(string? value, string path) =>
            string.IsNullOrWhiteSpace(value) ? throw Fail(path, "is missing or empty.") : value;

        private string Unique(string? value, string path, IEnumerable<string> existing)
        {
            var text = Required(value, path);
            return existing.Contains(text) ? throw Fail(path, $"'{text}' is used twice.") : text;
        }

        private PipelineSpecException Fail(string path, string message) => new(file, path, message);
    }
}
