using System.Diagnostics;

namespace Biathlon.GpuBench;

internal static class Timing
{
    // The median of `repetitions` timed runs in milliseconds, after one untimed warm-up run (kernel compilation,
    // buffer growth, first-touch page faults).
    public static double MedianMilliseconds(Action run, int repetitions)
    {
        run();
        var times = new double[repetitions];
        for (var i = 0; i < repetitions; i++)
        {
            var start = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return times[repetitions / 2];
    }
}
