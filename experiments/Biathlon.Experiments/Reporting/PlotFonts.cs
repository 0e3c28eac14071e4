using ScottPlot;

namespace Biathlon.Experiments.Reporting;

/// <summary>
/// The font the plots draw their text with. SkiaSharp.NativeAssets.Linux.NoDependencies has no fontconfig: its font
/// manager only scans /usr/share/fonts/ and picks whatever family it meets first (on Debian that is DejaVu Serif), and
/// with no font files at all Skia draws no glyphs, which yields plots without any text. So the plots load one sans
/// TrueType file by path and register it with ScottPlot under a fixed name; without one, plotting fails with the fix.
/// </summary>
internal static class PlotFonts
{
    /// <summary>Name under which the chosen font file is registered with ScottPlot.</summary>
    public const string Family = "Biathlon Report Sans";

    /// <summary>Environment variable naming a .ttf/.otf to use instead of the search below.</summary>
    public const string EnvironmentVariable = "BIATHLON_PLOT_FONT";

    // Regular and bold faces of common sans families, in order of preference (Debian package in the comment).
    private static readonly (string Regular, string Bold)[] s_knownFaces =
    [
        ("truetype/dejavu/DejaVuSans.ttf", "truetype/dejavu/DejaVuSans-Bold.ttf"), // fonts-dejavu-core
        ("truetype/liberation2/LiberationSans-Regular.ttf", "truetype/liberation2/LiberationSans-Bold.ttf"), // fonts-liberation2
        ("truetype/liberation/LiberationSans-Regular.ttf", "truetype/liberation/LiberationSans-Bold.ttf"), // fonts-liberation
        ("truetype/noto/NotoSans-Regular.ttf", "truetype/noto/NotoSans-Bold.ttf"), // fonts-noto-core
        ("truetype/freefont/FreeSans.ttf", "truetype/freefont/FreeSansBold.ttf"), // fonts-freefont-ttf
    ];

    private static readonly Lazy<string> s_family = new(Register, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Registers the font on first use and returns the family name to give ScottPlot.</summary>
    public static string Resolve() => s_family.Value;

    private static string Register()
    {
        var (regular, bold) = Find() ?? throw new CliException(
            "Cannot draw plot text: no sans TrueType font found under " + string.Join(", ", FontFolders()) +
            ". Install one (apt-get install fonts-dejavu-core) or set " + EnvironmentVariable + " to a .ttf file.");
        Fonts.AddFontFile(Family, regular, bold: false, italic: false);
        Fonts.AddFontFile(Family, bold, bold: true, italic: false);
        return Family;
    }

    private static (string Regular, string Bold)? Find()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? (configured, configured)
                : throw new CliException($"{EnvironmentVariable}={configured}: no such font file.");
        }

        var folders = FontFolders().Where(Directory.Exists).ToList();
        foreach (var (regular, bold) in s_knownFaces)
        {
            foreach (var folder in folders)
            {
                var regularPath = Path.Combine(folder, regular);
                if (File.Exists(regularPath))
                {
                    var boldPath = Path.Combine(folder, bold);
                    return (regularPath, File.Exists(boldPath) ? boldPath : regularPath);
                }
            }
        }

        // Any other sans face (not mono, serif, italic or a symbol font), else give up: a serif or symbol font
        // would render, but guessing further risks boxes instead of letters.
        var candidate = folders
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.*", SearchOption.AllDirectories))
            .Where(path => path.EndsWith(".ttf", StringComparison.OrdinalIgnoreCase) ||
                           path.EndsWith(".otf", StringComparison.OrdinalIgnoreCase))
            .Where(path =>
            {
                var name = Path.GetFileNameWithoutExtension(path);
                return name.Contains("Sans", StringComparison.OrdinalIgnoreCase) &&
                       !name.Contains("Mono", StringComparison.OrdinalIgnoreCase) &&
                       !name.Contains("Serif", StringComparison.OrdinalIgnoreCase) &&
                       !name.Contains("Italic", StringComparison.OrdinalIgnoreCase) &&
                       !name.Contains("Oblique", StringComparison.OrdinalIgnoreCase) &&
                       !name.Contains("Bold", StringComparison.OrdinalIgnoreCase);
            })
            .Order(StringComparer.Ordinal)
            .FirstOrDefault();
        return candidate is null ? null : (candidate, candidate);
    }

    private static IEnumerable<string> FontFolders()
    {
        yield return "/usr/share/fonts";
        yield return "/usr/local/share/fonts";
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0)
        {
            yield return Path.Combine(home, ".local", "share", "fonts");
            yield return Path.Combine(home, ".fonts");
        }
    }
}
