using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Biathlon.Host.Audit;

/// <summary>
/// Turns an <see cref="AuditEntry"/> into one compact JSON object (the record before its seal), reusing one buffer
/// and one <see cref="Utf8JsonWriter"/>. Used by the single writer thread only.
/// </summary>
internal sealed class AuditRecordSerializer
{
    /// <summary>The longest record written; longer ones are replaced by an error record.</summary>
    public const int MaxRecordBytes = 1 << 20;

    private const string MaskedValue = "***";

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json;
    private readonly HashSet<string> _maskedFields;

    public AuditRecordSerializer(IEnumerable<string> maskedFields)
    {
        _json = new Utf8JsonWriter(_buffer);
        _maskedFields = new HashSet<string>(maskedFields, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Serializes the record numbered <paramref name="sequence"/>. The returned bytes are valid until the next call.
    /// A record that cannot be written as it is (a string that is not valid UTF-16, an oversized request, a value
    /// whose ToString throws) is replaced by one that keeps its place in the chain and names the error in
    /// <paramref name="failure"/>: losing the sequence number would read as tampering.
    /// </summary>
    public ReadOnlySpan<byte> Serialize(
        long sequence, ReadOnlySpan<byte> previousHash, AuditEntry entry, out Exception? failure)
    {
        failure = null;
        try
        {
            Write(sequence, previousHash, entry);
            if (_buffer.WrittenCount > MaxRecordBytes)
            {
                failure = new InvalidDataException(
                    $"The record is {_buffer.WrittenCount} bytes; the limit is {MaxRecordBytes}.");
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Whatever the entry holds must not stop the log; the substitute record says what happened.
            failure = exception;
        }

        if (failure is not null)
        {
            WriteSubstitute(sequence, previousHash, entry.Time, failure);
        }

        return _buffer.WrittenSpan;
    }

    private void Write(long sequence, ReadOnlySpan<byte> previousHash, AuditEntry entry)
    {
        Start(sequence, previousHash, entry.Time);
        _json.WriteString(AuditFieldNames.Pipeline, entry.PipelineName);
        _json.WriteNumber(AuditFieldNames.PipelineVersion, entry.PipelineVersion);
        _json.WriteString(AuditFieldNames.Model, entry.ModelDescription);

        _json.WriteStartObject(AuditFieldNames.Request);
        foreach (var (name, value) in entry.Request)
        {
            _json.WritePropertyName(name);
            if (_maskedFields.Contains(name))
            {
                _json.WriteStringValue(MaskedValue);
            }
            else
            {
                WriteRequestValue(value);
            }
        }

        _json.WriteEndObject();

        _json.WriteStartArray(AuditFieldNames.Plan);
        for (var i = 0; i < entry.Plan.Count; i++)
        {
            var round = entry.Plan[i];
            _json.WriteStartObject();
            _json.WriteNumber(AuditFieldNames.Round, round.Round);
            _json.WriteStartArray(AuditFieldNames.Fractions);
            for (var q = 0; q < round.Fractions.Count; q++)
            {
                WriteDoubleValue(round.Fractions[q]);
            }

            _json.WriteEndArray();
            _json.WriteEndObject();
        }

        _json.WriteEndArray();

        _json.WritePropertyName(AuditFieldNames.Value);
        WriteDoubleValue(entry.Value);
        _json.WriteString(AuditFieldNames.BoundKind, entry.BoundKind);
        _json.WritePropertyName(AuditFieldNames.Delta);
        WriteDoubleValue(entry.Delta);
        _json.WritePropertyName(AuditFieldNames.Confidence);
        WriteDoubleValue(entry.Confidence);

        _json.WriteStartObject(AuditFieldNames.S1);
        foreach (var (query, index) in entry.S1)
        {
            _json.WritePropertyName(query);
            WriteDoubleValue(index);
        }

        _json.WriteEndObject();

        _json.WriteString(AuditFieldNames.StopReason, entry.StopReason);
        _json.WriteString(AuditFieldNames.Caller, entry.Caller);
        _json.WriteBoolean(AuditFieldNames.Exact, entry.Exact);
        _json.WriteEndObject();
        _json.Flush();
    }

    private void WriteSubstitute(long sequence, ReadOnlySpan<byte> previousHash, DateTimeOffset time, Exception failure)
    {
        // Only the exception's type: its message could quote the very value that could not be written.
        Start(sequence, previousHash, time);
        _json.WriteString(AuditFieldNames.Error, "record not serializable: " + failure.GetType().FullName);
        _json.WriteEndObject();
        _json.Flush();
    }

    private void Start(long sequence, ReadOnlySpan<byte> previousHash, DateTimeOffset time)
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _json.WriteNumber(AuditFieldNames.Sequence, sequence);
        _json.WriteString(AuditFieldNames.Previous, previousHash);
        _json.WriteString(AuditFieldNames.Time, time.UtcDateTime);
    }

    private void WriteRequestValue(object? value)
    {
        switch (value)
        {
            case null:
                _json.WriteNullValue();
                break;
            case string text:
                _json.WriteStringValue(text);
                break;
            case bool flag:
                _json.WriteBooleanValue(flag);
                break;
            case long integer:
                _json.WriteNumberValue(integer);
                break;
            case int integer:
                _json.WriteNumberValue(integer);
                break;
            case double number:
                WriteDoubleValue(number);
                break;
            case float number when float.IsFinite(number):
                _json.WriteNumberValue(number);
                break;
            case float number:
                WriteDoubleValue(number);
                break;
            case decimal number:
                _json.WriteNumberValue(number);
                break;
            case DateTime date:
                _json.WriteStringValue(date);
                break;
            case DateTimeOffset date:
                _json.WriteStringValue(date);
                break;
            default:
                _json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>JSON has no NaN or infinities; they are written as the strings .NET's serializer uses for them.</summary>
    private void WriteDoubleValue(double value)
    {
        if (double.IsFinite(value))
        {
            _json.WriteNumberValue(value);
        }
        else if (double.IsNaN(value))
        {
            _json.WriteStringValue("NaN");
        }
        else
        {
            _json.WriteStringValue(value > 0 ? "Infinity" : "-Infinity");
        }
    }
}
