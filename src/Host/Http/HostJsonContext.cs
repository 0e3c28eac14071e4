using System.Text.Json.Serialization;

namespace Biathlon.Host.Http;

/// <summary>Source-generated JSON for every response body: camelCase, non-finite numbers as strings, no reflection at run time.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PredictionResponse))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(PipelineResponse))]
[JsonSerializable(typeof(PipelineListResponse))]
[JsonSerializable(typeof(ReloadResponse))]
[JsonSerializable(typeof(ReadinessResponse))]
[JsonSerializable(typeof(PredictRequestDocument))]
[JsonSerializable(typeof(BatchRequestDocument))]
[JsonSerializable(typeof(AppendRequestDocument))]
[JsonSerializable(typeof(AppendResponse))]
internal sealed partial class HostJsonContext : JsonSerializerContext;
