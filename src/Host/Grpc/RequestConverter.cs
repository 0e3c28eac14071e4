using Biathlon.Host.Grpc.Contracts;
using Biathlon.Host.Serving;
using Google.Protobuf.Collections;

namespace Biathlon.Host.Grpc;

/// <summary>
/// Turns gRPC request messages into the transport-neutral shapes <see cref="PredictionService"/> takes: field → value
/// dictionaries of string, long, double, bool or null, exactly what the JSON parser produces, so the engine checks
/// both transports' requests the same way. Applies the operator's string-length and batch-size limits. A field's
/// non-finite double, which protobuf can carry and JSON cannot, goes to the engine like any value: NaN takes the
/// field's fill where it has one, and is otherwise refused by the engine naming the field, as are infinities. The
/// per-call overrides refuse them here. Errors name fields by their JSON paths.
/// </summary>
internal static class RequestConverter
{
    /// <summary>One request's fields; <paramref name="path"/> is <c>request</c> or <c>requests[i]</c>.</summary>
    public static Dictionary<string, object?> ToFields(MapField<string, Value> fields, string path, int maxStringLength)
    {
        var converted = new Dictionary<string, object?>(fields.Count, StringComparer.Ordinal);
        foreach (var (name, value) in fields)
        {
            var field = $"{path}.{Shorten(name)}";
            if (name.Length > maxStringLength)
            {
                throw ServeException.BadField(field, $"Field name is longer than {maxStringLength} characters.");
            }

            converted[name] = value.KindCase switch
            {
                Value.KindOneofCase.StringValue when value.StringValue.Length > maxStringLength =>
                    throw ServeException.BadField(field, $"'{field}' is longer than {maxStringLength} characters ({value.StringValue.Length})."),
                Value.KindOneofCase.StringValue => value.StringValue,
                Value.KindOneofCase.IntValue => value.IntValue,
                Value.KindOneofCase.DoubleValue => value.DoubleValue,
                Value.KindOneofCase.BoolValue => value.BoolValue,
                _ => null,
            };
        }

        return converted;
    }

    /// <summary>A batch's requests: 1 to <paramref name="maxBatchSize"/> of them.</summary>
    public static List<Dictionary<string, object?>> ToBatch(RepeatedField<Request> requests, int maxStringLength, int maxBatchSize)
    {
        if (requests.Count == 0 || requests.Count > maxBatchSize)
        {
            throw ServeException.BadField("requests", $"'requests' must hold 1 to {maxBatchSize} requests; it holds {requests.Count}.");
        }

        var converted = new List<Dictionary<string, object?>>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            converted.Add(ToFields(requests[i].Fields, $"requests[{i}]", maxStringLength));
        }

        return converted;
    }

    /// <summary>A proto3 <c>optional double</c>: null when absent; a non-finite value is refused naming <paramref name="field"/>.</summary>
    public static double? Optional(bool present, double value, string field) => present ? Finite(value, field) : null;

    private static double Finite(double value, string field) =>
        double.IsFinite(value) ? value : throw ServeException.BadField(field, $"'{field}' must be a finite number.");

    private static string Shorten(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "…");
}
