using System.Text.Json;
using System.Text.Json.Serialization;
using Biathlon.Engine.Specs;

namespace Biathlon.Engine.Runtime;

/// <summary>
/// Offline-profiled read costs of a pipeline's queries (<c>cost-profile.json</c> beside the spec, written by the
/// harness's <c>profile</c> verb). When present, the engine starts its cost averages from it instead of from a
/// default, so the first requests already plan with measured costs.
/// </summary>
public sealed record CostProfile
{
    /// <summary>The file name inside a pipeline folder.</summary>
    public const string FileName = "cost-profile.json";

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    /// <summary>One entry per query.</summary>
    public required IReadOnlyList<QueryCost> Queries { get; init; }

    /// <summary>Reads a profile; null when the file does not exist. A malformed file is an error naming it.</summary>
    public static CostProfile? Load(string file)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<CostProfile>(File.ReadAllBytes(file), s_json);
        }
        catch (JsonException e)
        {
            throw new PipelineSpecException(file, e.Path ?? "$", $"not a valid cost profile: {e.Message}", e);
        }
    }

    /// <summary>Writes the profile.</summary>
    public void Save(string file) => File.WriteAllText(file, JsonSerializer.Serialize(this, s_json));
}

/// <summary>A query's profiled cost.</summary>
/// <param name="Name">Query name.</param>
/// <param name="Slope">Seconds to read the whole query (the fitted slope of time against sample fraction).</param>
/// <param name="Intercept">Fixed seconds per read.</param>
/// <param name="MeanRows">Mean rows the query selects per request (what its slope pays for).</param>
/// <param name="SecondsPerRow">Slope / mean rows: the price of one row.</param>
/// <param name="RSquared">Fit quality of the linear model on the profiled points.</param>
public sealed record QueryCost(string Name, double Slope, double Intercept, double MeanRows, double SecondsPerRow, [property: JsonPropertyName("r2")] double RSquared);
