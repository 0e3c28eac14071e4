using System.Globalization;
using System.Text;
using System.Text.Json;
using Biathlon.Host.Grpc.Contracts;
using Google.Protobuf.Collections;

namespace Biathlon.Host.Tests.Grpc;

/// <summary>The requests the tests send, each as gRPC fields and as the JSON API's body.</summary>
internal static class Requests
{
    /// <summary>The flight-delay self-test request (distance a double, as JSON's 733.0 parses).</summary>
    public static Dictionary<string, object> Flight() => new()
    {
        ["origin"] = "ORD",
        ["destination"] = "LGA",
        ["distance"] = 733.0,
        ["departure"] = "2001-06-12T17:05:00",
    };

    /// <summary>A sensor-anomaly request at <paramref name="reading"/>.</summary>
    public static Dictionary<string, object> Sensor(long reading = 500) => new()
    {
        ["mote"] = 1L,
        ["indoor"] = 0L,
        ["reading"] = reading,
        ["temperature"] = 29.87,
        ["humidity"] = 46.49,
    };

    /// <summary>Copies <paramref name="fields"/> into a gRPC request map.</summary>
    public static void Into(MapField<string, Value> map, Dictionary<string, object> fields)
    {
        foreach (var (name, value) in fields)
        {
            map[name] = value switch
            {
                string s => new Value { StringValue = s },
                long l => new Value { IntValue = l },
                double d => new Value { DoubleValue = d },
                bool b => new Value { BoolValue = b },
                _ => throw new ArgumentException($"Unsupported value type {value.GetType()}."),
            };
        }
    }

    /// <summary>
    /// A JSON predict body for <paramref name="fields"/>, with a deadline long enough that no round is cut short.
    /// Doubles keep a fraction (733.0), so the server reads them as the same doubles the gRPC call carries.
    /// </summary>
    public static StringContent Json(Dictionary<string, object> fields, double deadlineMs)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("request");
            foreach (var (name, value) in fields)
            {
                writer.WritePropertyName(name);
                switch (value)
                {
                    case string s:
                        writer.WriteStringValue(s);
                        break;
                    case long l:
                        writer.WriteNumberValue(l);
                        break;
                    case double d:
                        var text = d.ToString("R", CultureInfo.InvariantCulture);
                        writer.WriteRawValue(text.Contains('.') || text.Contains('E') ? text : text + ".0");
                        break;
                    case bool b:
                        writer.WriteBooleanValue(b);
                        break;
                    default:
                        throw new ArgumentException($"Unsupported value type {value.GetType()}.");
                }
            }

            writer.WriteEndObject();
            writer.WriteNumber("deadlineMs", deadlineMs);
            writer.WriteEndObject();
        }

        return new StringContent(Encoding.UTF8.GetString(buffer.ToArray()), Encoding.UTF8, "application/json");
    }
}
