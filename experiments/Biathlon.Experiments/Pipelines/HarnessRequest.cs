namespace Biathlon.Experiments.Pipelines;

/// <summary>A request drawn from real data, its label, and its time in the request stream.</summary>
/// <param name="Fields">Request fields as the pipeline spec names them.</param>
/// <param name="Label">The observed outcome (regression value, or 0/1 for binary pipelines).</param>
/// <param name="Time">When the request happens (stream time: drives the stale-cache baseline's refresh budget).</param>
public sealed record HarnessRequest(IReadOnlyDictionary<string, object?> Fields, double Label, DateTime Time)
{
    /// <summary>A fresh copy of the fields, as <see cref="Engine.BiathlonEngine.Predict"/> takes them.</summary>
    public Dictionary<string, object?> ToRequest() => new(Fields);
}

/// <summary>Training, validation and test requests of a pipeline.</summary>
public sealed record RecipeRequests(IReadOnlyList<HarnessRequest> Train, IReadOnlyList<HarnessRequest> Validation, IReadOnlyList<HarnessRequest> Test);

/// <summary>How many requests of each split to draw.</summary>
public sealed record RecipeSizes(int Train, int Validation, int Test)
{
    /// <summary>Sizes of a full run.</summary>
    public static RecipeSizes Full { get; } = new(2000, 400, 300);

    /// <summary>Sizes of a quick run (CI): enough to exercise every step.</summary>
    public static RecipeSizes Quick { get; } = new(400, 100, 60);
}
