using System.Globalization;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace Biathlon.Experiments.Cli;

/// <summary>
/// Progress of long steps (feature computation, training, replay) on standard error. On a terminal, a message of the
/// form <c>STEP: n/N</c> redraws one progress bar line per step in place (Spectre.Console) and other messages are
/// status lines; when standard error is redirected (tests, logs) every message is a plain line, as before.
/// </summary>
internal sealed partial class CliProgress : IProgress<string>
{
    private const int BarWidth = 30;

    private readonly Lock _lock = new();
    private readonly IAnsiConsole? _terminal;
    private bool _barOpen;

    private CliProgress(bool interactive)
    {
        _terminal = interactive
            ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error), Interactive = InteractionSupport.Yes })
            : null;
    }

    /// <summary>The process's progress: bars on a terminal, plain lines when standard error is redirected.</summary>
    public static CliProgress Instance { get; } = new(!Console.IsErrorRedirected && Environment.GetEnvironmentVariable("BIATHLON_PLAIN") != "1");

    /// <inheritdoc />
    public void Report(string value)
    {
        lock (_lock)
        {
            if (_terminal is null)
            {
                Console.Error.WriteLine($"  {value}");
                return;
            }

            var match = StepPattern().Match(value);
            if (match.Success
                && long.TryParse(match.Groups["done"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var done)
                && long.TryParse(match.Groups["total"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var total)
                && total > 0)
            {
                var filled = (int)Math.Clamp(done * BarWidth / total, 0, BarWidth);
                var bar = $"[green]{new string('━', filled)}[/][grey]{new string('━', BarWidth - filled)}[/]";
                _terminal.Markup($"\r  {Markup.Escape(match.Groups["step"].Value.TrimEnd(':')),-28} {bar} {done * 100 / total,3}% {Markup.Escape($"{done:N0}/{total:N0}{match.Groups["rest"].Value}")}");
                _barOpen = done < total;
                if (!_barOpen)
                {
                    _terminal.WriteLine();
                }

                return;
            }

            if (_barOpen)
            {
                _terminal.WriteLine();
                _barOpen = false;
            }

            _terminal.MarkupLine($"  [grey]{DateTime.Now:HH:mm:ss}[/] {Markup.Escape(value)}");
        }
    }

    [GeneratedRegex(@"^(?<step>.*?)\s(?<done>\d[\d,]*)/(?<total>\d[\d,]*)(?<rest>.*)$")]
    private static partial Regex StepPattern();
}
