using System.Text;

namespace Biathlon.Tutorial.Tests;

/// <summary>
/// The runnable part of a Markdown tutorial as one bash script: every <c>```bash</c> block in order (a block whose
/// info string says <c>no-run</c> is skipped), and every <c>```json file=PATH</c> block written to
/// <c>$TUTORIAL/PATH</c> at its place in the page. Nothing is added between the steps, so the page is the test.
/// </summary>
internal static class TutorialScript
{
    /// <summary>The script of <paramref name="markdownFile"/>, and how many blocks of each kind it holds.</summary>
    public static (string Script, int Commands, int Files) FromMarkdown(string markdownFile)
    {
        var script = new StringBuilder("set -euo pipefail\n");
        var commands = 0;
        var files = 0;
        var lines = File.ReadAllLines(markdownFile);
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal) || lines[i].Length == 3)
            {
                continue;
            }

            var info = lines[i][3..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var body = new List<string>();
            for (i++; i < lines.Length && lines[i] != "```"; i++)
            {
                body.Add(lines[i]);
            }

            if (info[0] == "bash" && !info.Contains("no-run"))
            {
                commands++;
                script.Append("echo '--- step ").Append(commands).Append("' >&2\n");
                foreach (var line in body)
                {
                    script.Append(line).Append('\n');
                }
            }
            else if (info[0] == "json" && info.FirstOrDefault(a => a.StartsWith("file=", StringComparison.Ordinal)) is { } target)
            {
                files++;
                var path = target["file=".Length..];
                script.Append("mkdir -p \"$(dirname \"$TUTORIAL/").Append(path).Append("\")\"\n");
                script.Append("cat > \"$TUTORIAL/").Append(path).Append("\" <<'TUTORIAL_FILE_END'\n");
                foreach (var line in body)
                {
                    script.Append(line).Append('\n');
                }

                script.Append("TUTORIAL_FILE_END\n");
            }
        }

        return (script.ToString(), commands, files);
    }
}
