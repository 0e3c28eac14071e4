using System.Globalization;

namespace Biathlon.Experiments.Load;

/// <summary>
/// How busy the machine was with other work during a cell: the machine's busy CPU time (/proc/stat) minus that of the
/// load test's own processes (/proc/PID/stat: this process and the servers it started), as a share of all cores' time.
/// On a shared machine that share says whether a cell's figures were taken on a quiet machine. NaN where /proc is missing.
/// </summary>
internal sealed class CpuMeter(IReadOnlyList<int> ownProcesses)
{
    /// <summary>Cumulative clock ticks: the machine's total and busy time, and the own processes' time.</summary>
    public readonly record struct Reading(long Total, long Busy, long Own);

    /// <summary>Reads the counters now; default when they cannot be read.</summary>
    public Reading Read()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var total = cpu.Sum();
            var idle = cpu[3] + cpu[4]; // idle, iowait
            long own = 0;
            foreach (var pid in ownProcesses)
            {
                own += ProcessTicks(pid);
            }

            return new Reading(total, total - idle, own);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException or IndexOutOfRangeException)
        {
            return default;
        }
    }

    /// <summary>Other processes' share of all cores' time between two readings (0 to 1); NaN when unknown.</summary>
    public static double OtherShare(Reading before, Reading after)
    {
        var total = after.Total - before.Total;
        return before.Total == 0 || total <= 0 ? double.NaN : Math.Clamp(((after.Busy - before.Busy) - (after.Own - before.Own)) / (double)total, 0, 1);
    }

    /// <summary>utime + stime of a process (all its threads) in clock ticks; 0 when it is gone.</summary>
    private static long ProcessTicks(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return 0;
        }

        // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime, stime (fields 14, 15)
    }
}
