using Biathlon.Engine;
using Biathlon.Host.Http;
using Biathlon.Host.Serving;

namespace Biathlon.Host.Pipelines;

/// <summary>
/// A pipeline version's self-test: the request in the pipeline folder's <c>selftest.json</c> (<c>{"request": {...}}</c>,
/// the same body as a predict call) is predicted approximately and exactly; it passes when both give finite values and
/// the approximate result's stop reason and confidence are coherent. A pipeline without the file passes with a note.
/// </summary>
internal static class SelfTest
{
    /// <summary>The file name looked for in the pipeline folder.</summary>
    public const string FileName = "selftest.json";

    /// <summary>
    /// Runs the self-test of <paramref name="engine"/> (loaded from <paramref name="folder"/>), version
    /// <paramref name="version"/>. A store that fails the predictions (down, or holding a damaged value) is not the
    /// version's fault: its exception propagates, so the caller can wait for the store instead of failing the version.
    /// </summary>
    public static async Task<SelfTestOutcome> RunAsync(BiathlonEngine engine, string folder, long version, int maxStringLength, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Directory.Exists(folder) ? folder : Path.GetDirectoryName(folder) ?? ".", FileName);
        if (!File.Exists(file))
        {
            return new SelfTestOutcome(true, $"no {FileName} in the pipeline folder: loading was the only check", version, DateTimeOffset.UtcNow);
        }

        try
        {
            var body = PredictBodyParser.Parse(File.ReadAllBytes(file), batch: false, maxStringLength, maxBatchSize: 1);
            var request = body.Requests[0];
            var approximate = await engine.PredictAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            var exact = await engine.PredictExactAsync(request, cancellationToken).ConfigureAwait(false);
            if (!double.IsFinite(approximate.Value) || !double.IsFinite(exact.Value))
            {
                return new SelfTestOutcome(false, $"{FileName}: a prediction is not finite (approximate {approximate.Value}, exact {exact.Value})", version, DateTimeOffset.UtcNow);
            }

            var detail = $"{FileName}: approximate {approximate.Value:G6} ({approximate.StopReason}, confidence {approximate.Confidence:F3}, {approximate.Rounds} round(s)), exact {exact.Value:G6}";
            return new SelfTestOutcome(true, detail, version, DateTimeOffset.UtcNow);
        }
        catch (Exception e) when (e is RequestException or ServeException or IOException)
        {
            return new SelfTestOutcome(false, $"{FileName}: {e.Message}", version, DateTimeOffset.UtcNow);
        }
    }
}
