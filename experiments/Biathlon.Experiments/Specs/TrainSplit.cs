using System.Globalization;

namespace Biathlon.Experiments.Specs;

/// <summary>
/// How a requests file is split by time: the first <see cref="Train"/> share trains the model, the next
/// <see cref="Validation"/> share measures it (δ), and the rest is the test split that <c>run</c> replays.
/// </summary>
/// <param name="Train">Share of the requests, in time order, used for training; in (0, 1).</param>
/// <param name="Validation">Share after the training requests used for validation; in (0, 1), with Train + Validation &lt; 1.</param>
public sealed record TrainSplit(double Train, double Validation)
{
    /// <summary>The default split: 60% training, 20% validation, 20% test.</summary>
    public static TrainSplit Default { get; } = new(0.6, 0.2);

    /// <summary>Parses <c>TRAIN,VALIDATION</c> (e.g. <c>0.6,0.2</c>); null with <paramref name="error"/> set when the text is not a valid split.</summary>
    public static TrainSplit? TryParse(string text, out string? error)
    {
        error = null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var train)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var validation)
            && train > 0 && validation > 0 && train + validation < 1)
        {
            return new TrainSplit(train, validation);
        }

        error = $"option --train-split needs TRAIN,VALIDATION shares above 0 with a sum below 1, e.g. 0.6,0.2 (got '{text}')";
        return null;
    }

    /// <summary>The number of training, validation and test requests among <paramref name="count"/>.</summary>
    public (int Train, int Validation, int Test) Counts(int count)
    {
        // A hair above the product, so shares written as fractions of a count (2000/2700) give that count back.
        var train = (int)Math.Floor((count * Train) + 1e-6);
        var validation = (int)Math.Floor((count * Validation) + 1e-6);
        return (train, validation, count - train - validation);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Train},{Validation}");
}
