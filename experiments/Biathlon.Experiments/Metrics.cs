using MathNet.Numerics.Statistics;

namespace Biathlon.Experiments;

/// <summary>Accuracy metrics of predictions against labels.</summary>
public static class Metrics
{
    /// <summary>Mean absolute error.</summary>
    public static double MeanAbsoluteError(IReadOnlyList<float> labels, IReadOnlyList<float> predictions)
    {
        double sum = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            sum += Math.Abs(labels[i] - predictions[i]);
        }

        return sum / labels.Count;
    }

    /// <summary>Coefficient of determination 1 − SSE / SST (predictions clipped to the label range, the reference's convention).</summary>
    public static double RSquared(IReadOnlyList<float> labels, IReadOnlyList<float> predictions)
    {
        var (min, max, mean) = (labels.Min(), labels.Max(), labels.Select(l => (double)l).Mean());
        double sse = 0, sst = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var p = Math.Clamp(predictions[i], min, max);
            sse += (labels[i] - p) * (labels[i] - p);
            sst += (labels[i] - mean) * (labels[i] - mean);
        }

        return 1 - sse / sst;
    }

    /// <summary>F1 of class 1.</summary>
    public static double F1(IReadOnlyList<float> labels, IReadOnlyList<float> predictions)
    {
        double tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var actual = labels[i] > 0.5;
            var predicted = predictions[i] > 0.5;
            tp += actual && predicted ? 1 : 0;
            fp += !actual && predicted ? 1 : 0;
            fn += actual && !predicted ? 1 : 0;
        }

        return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
    }

    /// <summary>Share of predictions equal to the label.</summary>
    public static double Accuracy(IReadOnlyList<float> labels, IReadOnlyList<float> predictions)
    {
        var same = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            same += (labels[i] > 0.5) == (predictions[i] > 0.5) ? 1 : 0;
        }

        return (double)same / labels.Count;
    }

    /// <summary>The p-quantile (nearest rank: the inverse of the empirical CDF, Hyndman–Fan R1) of values.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p) =>
        Statistics.QuantileCustom(values, p, QuantileDefinition.R1);
}
