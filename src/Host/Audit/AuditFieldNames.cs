using System.Text.Json;

namespace Biathlon.Host.Audit;

/// <summary>The audit record's JSON property names, encoded once.</summary>
internal static class AuditFieldNames
{
    public static readonly JsonEncodedText Sequence = JsonEncodedText.Encode("seq");
    public static readonly JsonEncodedText Previous = JsonEncodedText.Encode("prev");
    public static readonly JsonEncodedText Time = JsonEncodedText.Encode("time");
    public static readonly JsonEncodedText Pipeline = JsonEncodedText.Encode("pipeline");
    public static readonly JsonEncodedText PipelineVersion = JsonEncodedText.Encode("pipelineVersion");
    public static readonly JsonEncodedText Model = JsonEncodedText.Encode("model");
    public static readonly JsonEncodedText Request = JsonEncodedText.Encode("request");
    public static readonly JsonEncodedText Plan = JsonEncodedText.Encode("plan");
    public static readonly JsonEncodedText Round = JsonEncodedText.Encode("round");
    public static readonly JsonEncodedText Fractions = JsonEncodedText.Encode("fractions");
    public static readonly JsonEncodedText Value = JsonEncodedText.Encode("value");
    public static readonly JsonEncodedText BoundKind = JsonEncodedText.Encode("boundKind");
    public static readonly JsonEncodedText Delta = JsonEncodedText.Encode("delta");
    public static readonly JsonEncodedText Confidence = JsonEncodedText.Encode("confidence");
    public static readonly JsonEncodedText S1 = JsonEncodedText.Encode("s1");
    public static readonly JsonEncodedText StopReason = JsonEncodedText.Encode("stopReason");
    public static readonly JsonEncodedText Caller = JsonEncodedText.Encode("caller");
    public static readonly JsonEncodedText Exact = JsonEncodedText.Encode("exact");

    /// <summary>Written instead of the prediction's fields when they could not be serialized.</summary>
    public static readonly JsonEncodedText Error = JsonEncodedText.Encode("error");
}
