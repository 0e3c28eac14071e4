using Biathlon.Engine.Specs;
using Biathlon.Sampling.Aggregates;
using Biathlon.Sampling.Layouts;
using Biathlon.Sampling.Queries;
using Biathlon.Sampling.Schema;

namespace Biathlon.Engine.Runtime;

/// <summary>Checks of a query against its loaded table's columns and types, reported with the query's JSON path.</summary>
internal static class SpecDataChecks
{
    public static void Check(PipelineDefinition definition, QueryDefinition query, PartitionedTable table)
    {
        var schema = table.Schema;
        foreach (var (column, fieldName) in query.Keys)
        {
            var path = $"{query.JsonPath}.keys.{column}";
            if (!schema.Contains(column))
            {
                throw Fail(definition, path, $"table '{table.Name}' has no column '{column}' (columns: {string.Join(", ", schema.Columns.Select(c => c.Name))}).");
            }

            var columnType = schema.Column(column).Type;
            var fieldType = definition.Request.First(f => f.Name == fieldName).Type;
            var compatible = (columnType, fieldType) switch
            {
                (ColumnType.String, RequestFieldType.String) => true,
                (ColumnType.Int64, RequestFieldType.Integer) => true,
                (ColumnType.Double, RequestFieldType.Number or RequestFieldType.Integer) => true,
                (ColumnType.Timestamp, RequestFieldType.Timestamp) => true,
                _ => false,
            };
            if (!compatible)
            {
                throw Fail(definition, path, $"column '{column}' is {columnType} but request field '{fieldName}' is {fieldType}.");
            }
        }

        if (query.WindowField is { } windowField)
        {
            var path = $"{query.JsonPath}.window.field";
            if (table.TimeColumn is null)
            {
                throw Fail(definition, path, $"table '{table.Name}' has no time column, so the query cannot have a window.");
            }

            var timeType = schema.Column(table.TimeColumn).Type;
            var fieldType = definition.Request.First(f => f.Name == windowField).Type;
            if ((timeType == ColumnType.Timestamp) != (fieldType == RequestFieldType.Timestamp))
            {
                throw Fail(definition, path, $"field '{windowField}' is {fieldType} but time column '{table.TimeColumn}' is {timeType}.");
            }
        }

        for (var a = 0; a < query.Aggregates.Count; a++)
        {
            var spec = query.Aggregates[a].Spec;
            if (spec.Column is null)
            {
                continue;
            }

            var path = $"{query.JsonPath}.aggregates[{a}].column";
            if (!schema.Contains(spec.Column))
            {
                throw Fail(definition, path, $"table '{table.Name}' has no column '{spec.Column}'.");
            }

            if (spec.Op is not (AggregateOp.Count or AggregateOp.CountDistinct) && !schema.Column(spec.Column).IsNumeric)
            {
                throw Fail(definition, path, $"{spec.Op} needs a numeric column; '{spec.Column}' is {schema.Column(spec.Column).Type}.");
            }
        }

        for (var f = 0; f < query.Filters.Count; f++)
        {
            var filter = query.Filters[f];
            var path = $"{query.JsonPath}.filters[{f}]";
            if (!schema.Contains(filter.Column))
            {
                throw Fail(definition, $"{path}.column", $"table '{table.Name}' has no column '{filter.Column}'.");
            }

            var type = schema.Column(filter.Column).Type;
            if (type == ColumnType.String && filter.Value is not string)
            {
                throw Fail(definition, $"{path}.value", $"column '{filter.Column}' is String; compare it with a string.");
            }

            if (type == ColumnType.String && filter.Op is not (FilterOp.Equal or FilterOp.NotEqual))
            {
                throw Fail(definition, $"{path}.op", $"column '{filter.Column}' is String; only = and != apply.");
            }

            if (type != ColumnType.String && filter.Value is string)
            {
                throw Fail(definition, $"{path}.value", $"column '{filter.Column}' is {type}; compare it with a number.");
            }
        }
    }

    private static PipelineSpecException Fail(PipelineDefinition definition, string path, string message) => new(definition.SpecFile, path, message);
}
