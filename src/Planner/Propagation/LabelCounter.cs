namespace Biathlon.Planner.Propagation;

/// <summary>Finds the most frequent class label among float outputs without allocating (ties go to the smaller label).</summary>
internal sealed class LabelCounter
{
    private const int MaxDistinct = 256;
    private readonly int[] _labels = new int[MaxDistinct];
    private readonly int[] _counts = new int[MaxDistinct];

    public int Mode(ReadOnlySpan<float> outputs)
    {
        var distinct = 0;
        foreach (var output in outputs)
        {
            var label = (int)MathF.Round(output);
            var slot = _labels.AsSpan(0, distinct).IndexOf(label);
            if (slot < 0)
            {
                if (distinct == MaxDistinct)
                {
                    throw new InvalidOperationException($"The model returned more than {MaxDistinct} distinct labels in one round; is it a classifier?");
                }

                slot = distinct++;
                _labels[slot] = label;
                _counts[slot] = 0;
            }

            _counts[slot]++;
        }

        var best = 0;
        for (var s = 1; s < distinct; s++)
        {
            if (_counts[s] > _counts[best] || (_counts[s] == _counts[best] && _labels[s] < _labels[best]))
            {
                best = s;
            }
        }

        return _labels[best];
    }
}
