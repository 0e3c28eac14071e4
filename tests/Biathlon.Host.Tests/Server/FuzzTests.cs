using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// 10,240 malformed and odd bodies (generator seed 20260601) against sensor-anomaly's predict endpoint, from 4 concurrent
/// senders: none may get a 5xx or break the connection, every 4xx must be problem+json, every 200 a prediction, and the
/// server must answer as before afterwards.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class FuzzTests(MainServer server, ITestOutputHelper output)
{
    private const int Bodies = 10_240;
    private const int Senders = 4;
    private const int Seed = 20260601;

    private static readonly string[] s_contentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "application/octet-stream", "image/png",
        "multipart/form-data; boundary=zz", "application/js", "json", "*/*", "text/json",
    ];

    private static readonly string[] s_numberTokens =
    [
        "1e400", "-1e400", "1e308", "-1e308", "4.9e-324", "99999999999999999999999999", "-9223372036854775809",
        "9223372036854775807", "-9223372036854775808", "0", "-0", "0.0", "1E+2", "NaN", "Infinity", "-Infinity", "nan",
        "+1", "01", ".5", "5.", "1e", "0x10", "1_000", "∞",
    ];

    private static readonly string[] s_oddStrings =
    [
        "", " ", "\\u0000", "\\ud800", "\\udc00x", "\\uFFFF", "é", "🦀🦀", "\\\\", "\\\"", "\u200b", "null", "1", "true",
        "2001-06-12T17:05:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    ];

    private enum Mutation
    {
        Truncate,
        FlipBits,
        InsertBytes,
        DeleteBytes,
        SwapType,
        DeepNesting,
        NumberToken,
        UnicodeText,
        ControlCharacters,
        EmptyBody,
        ContentType,
        FieldName,
        Overrides,
        Combined,
    }

    [Fact]
    public async Task Ten_thousand_malformed_bodies_get_no_5xx_only_problems_and_leave_the_server_answering()
    {
        var requests = TestPipelines.SensorRequests(8, seed: 61);
        var references = new List<JsonObject>();
        foreach (var request in requests)
        {
            references.Add(await server.ReferenceAsync(request));
        }

        var random = new Random(Seed);
        var cases = Enumerable.Range(0, Bodies).Select(_ => Generate(random, requests)).ToArray();
        var statuses = new ConcurrentDictionary<int, int>();
        var mutations = new ConcurrentDictionary<(Mutation, int), int>();
        var failures = new ConcurrentQueue<string>();
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < cases.Length)
            {
                var (mutation, body, contentType) = cases[i];
                var status = await SendAsync(body, contentType, failures, $"#{i} {mutation}");
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                mutations.AddOrUpdate((mutation, status / 100), 1, (_, n) => n + 1);
            }
        })));
        clock.Stop();

        output.WriteLine($"{cases.Length} bodies from {Senders} senders in {clock.Elapsed.TotalSeconds:F1} s ({cases.Length / clock.Elapsed.TotalSeconds:F0}/s)");
        output.WriteLine("status counts: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        output.WriteLine("by mutation (status class): " + string.Join(", ", mutations.OrderBy(m => m.Key).Select(m => $"{m.Key.Item1}/{m.Key.Item2}xx: {m.Value}")));
        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Length} bodies were mishandled; the first ones:\n" + string.Join("\n", failures.Take(10)));
        Assert.Equal(cases.Length, statuses.Values.Sum());
        Assert.True(statuses.GetValueOrDefault(400) > Bodies / 2, "Most bodies are refused as bad input.");
        Assert.True(statuses.GetValueOrDefault(415) > 0, "The wrong content types are refused as such.");
        Assert.True(statuses.GetValueOrDefault(200) > 0, "Some mutations leave a valid request, so the fuzz reaches the engine too.");

        for (var r = 0; r < requests.Length; r++)
        {
            Api.AssertSamePrediction(references[r], await server.ReferenceAsync(requests[r]), $"request {r} after the fuzzing");
        }
    }

    private async Task<int> SendAsync(byte[] body, string? contentType, ConcurrentQueue<string> failures, string label)
    {
        try
        {
            using var response = await Api.PostBytesAsync(server.Client, Api.PredictPath(TestPipelines.Sensor), body, contentType);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (status >= 500)
            {
                failures.Enqueue($"{label}: {status} {Api.Shorten(text, 300)} for {Describe(body, contentType)}");
            }
            else if (status >= 400 && (mediaType != Api.ProblemJson || !IsProblem(text, status)))
            {
                failures.Enqueue($"{label}: {status} not problem+json ({mediaType}) {Api.Shorten(text, 300)} for {Describe(body, contentType)}");
            }
            else if (status == 200 && !IsPrediction(text))
            {
                failures.Enqueue($"{label}: 200 without a prediction {Api.Shorten(text, 300)} for {Describe(body, contentType)}");
            }
            else if (status is not (200 or 400 or 413 or 415))
            {
                failures.Enqueue($"{label}: unexpected {status} {Api.Shorten(text, 300)} for {Describe(body, contentType)}");
            }

            return status;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            failures.Enqueue($"{label}: no answer ({e.GetType().Name}: {e.Message}) for {Describe(body, contentType)}");
            return 0;
        }
    }

    private static bool IsProblem(string text, int status)
    {
        try
        {
            var problem = JsonNode.Parse(text)!.AsObject();
            return problem["status"]?.GetValue<int>() == status && problem["title"] is not null;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static bool IsPrediction(string text)
    {
        try
        {
            var prediction = JsonNode.Parse(text)!.AsObject();
            return prediction["value"] is not null && prediction["pipeline"]?.GetValue<string>() == TestPipelines.Sensor;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static string Describe(byte[] body, string? contentType) =>
        $"[{contentType ?? "no content type"}] {Api.Shorten(Convert.ToBase64String(body), 400)} (base64, {body.Length} bytes)";

    private static (Mutation Mutation, byte[] Body, string? ContentType) Generate(Random random, JsonObject[] requests)
    {
        var mutation = (Mutation)random.Next(Enum.GetValues<Mutation>().Length);
        var valid = Api.Body(requests[random.Next(requests.Length)]);
        if (random.Next(4) == 0)
        {
            valid["tau"] = 0.9;
        }

        var contentType = random.Next(10) == 0 ? null : "application/json";
        var body = mutation switch
        {
            Mutation.Truncate => Truncate(random, Bytes(valid)),
            Mutation.FlipBits => FlipBits(random, Bytes(valid)),
            Mutation.InsertBytes => InsertBytes(random, Bytes(valid)),
            Mutation.DeleteBytes => DeleteBytes(random, Bytes(valid)),
            Mutation.SwapType => Bytes(SwapType(random, valid)),
            Mutation.DeepNesting => DeepNesting(random, valid),
            Mutation.NumberToken => NumberToken(random, valid),
            Mutation.UnicodeText => UnicodeText(random, valid),
            Mutation.ControlCharacters => ControlCharacters(random, valid),
            Mutation.EmptyBody => random.Next(2) == 0 ? [] : Encoding.UTF8.GetBytes(new string(' ', random.Next(1, 64))),
            Mutation.ContentType => Bytes(valid),
            Mutation.FieldName => FieldName(random, valid),
            Mutation.Overrides => Bytes(Overrides(random, valid)),
            _ => FlipBits(random, Truncate(random, Bytes(SwapType(random, valid)), keepMost: true)),
        };
        if (mutation == Mutation.ContentType)
        {
            contentType = s_contentTypes[random.Next(s_contentTypes.Length)];
        }

        return (mutation, body, contentType);
    }

    private static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    private static byte[] Truncate(Random random, byte[] body, bool keepMost = false) =>
        body[..(keepMost ? random.Next(body.Length / 2, body.Length) : random.Next(body.Length))];

    private static byte[] FlipBits(Random random, byte[] body)
    {
        var copy = (byte[])body.Clone();
        for (var n = random.Next(1, 5); n > 0 && copy.Length > 0; n--)
        {
            copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        }

        return copy;
    }

    private static byte[] InsertBytes(Random random, byte[] body)
    {
        var list = body.ToList();
        for (var n = random.Next(1, 6); n > 0; n--)
        {
            // Mostly JSON's own punctuation, which makes structure errors rather than just bad tokens.
            const string Punctuation = "{}[]:,\"\\-.0e";
            var b = random.Next(3) == 0 ? (byte)random.Next(256) : (byte)Punctuation[random.Next(Punctuation.Length)];
            list.Insert(random.Next(list.Count + 1), b);
        }

        return [.. list];
    }

    private static byte[] DeleteBytes(Random random, byte[] body)
    {
        var list = body.ToList();
        for (var n = random.Next(1, 4); n > 0 && list.Count > 0; n--)
        {
            var at = random.Next(list.Count);
            list.RemoveRange(at, Math.Min(list.Count - at, random.Next(1, 8)));
        }

        return [.. list];
    }

    private static JsonObject SwapType(Random random, JsonObject body)
    {
        var request = body["request"]!.AsObject();
        var field = request.Select(p => p.Key).ElementAt(random.Next(request.Count));
        request[field] = random.Next(10) switch
        {
            0 => "a string",
            1 => random.Next(2) == 0,
            2 => null,
            3 => new JsonArray(1, 2),
            4 => new JsonObject { ["value"] = 1 },
            5 => random.NextDouble() * 1e6,
            6 => (long)random.Next(int.MinValue, int.MaxValue),
            7 => new string('x', random.Next(250, 400)),
            8 => "",
            _ => new JsonArray(),
        };
        if (random.Next(5) == 0)
        {
            body["request"] = random.Next(2) == 0 ? new JsonArray(request.DeepClone()) : JsonValue.Create("request");
        }

        return body;
    }

    private static byte[] DeepNesting(Random random, JsonObject body)
    {
        var depth = random.Next(1, 200);
        var (open, close) = random.Next(2) == 0 ? ("[", "]") : ("{\"a\":", "}");
        var nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        var field = body["request"]!.AsObject().Select(p => p.Key).ElementAt(random.Next(5));
        return random.Next(4) == 0 ? Encoding.UTF8.GetBytes(nested) : ReplaceValue(body, field, nested);
    }

    private static byte[] NumberToken(Random random, JsonObject body)
    {
        // A raw token in place of a value: an odd number, a non-JSON literal, or a string with raw escapes in it.
        var token = random.Next(3) == 0
            ? "\"" + s_oddStrings[random.Next(s_oddStrings.Length)] + "\""
            : s_numberTokens[random.Next(s_numberTokens.Length)];
        return ReplaceValue(body, new[] { "mote", "indoor", "reading", "temperature", "humidity" }[random.Next(5)], token);
    }

    /// <summary>The body's text with the value of request field <paramref name="field"/> replaced by the raw <paramref name="token"/>.</summary>
    private static byte[] ReplaceValue(JsonObject body, string field, string token)
    {
        var text = body.ToJsonString();
        var at = text.IndexOf($"\"{field}\":", StringComparison.Ordinal) + field.Length + 3;
        var end = text.IndexOfAny([',', '}'], at);
        return Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, at), token, text.AsSpan(end)));
    }

    private static byte[] UnicodeText(Random random, JsonObject body)
    {
        var request = body["request"]!.AsObject();
        var text = new StringBuilder();
        for (var n = random.Next(1, 12); n > 0; n--)
        {
            var codePoint = random.Next(4) switch
            {
                0 => random.Next(0x20, 0x7F),
                1 => random.Next(0xA0, 0xD800),
                2 => random.Next(0xE000, 0xFFFE),
                _ => random.Next(0x10000, 0x10FFFF),
            };
            text.Append(char.ConvertFromUtf32(codePoint));
        }

        var value = text.ToString();
        if (random.Next(3) == 0)
        {
            request[value] = 1; // as a field name
        }
        else
        {
            request[request.Select(p => p.Key).ElementAt(random.Next(request.Count))] = value;
        }

        var json = body.ToJsonString();
        if (random.Next(3) == 0)
        {
            // A high-surrogate escape before every escape: a few make pairs, most leave lone surrogates, which are legal
            // JSON but cannot become text.
            json = json.Replace("\\u", "\\ud83d\\u", StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(json);
    }

    private static byte[] ControlCharacters(Random random, JsonObject body)
    {
        var text = Bytes(body).ToList();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            text.Insert(random.Next(text.Count + 1), (byte)random.Next(0, 0x20));
        }

        if (random.Next(2) == 0)
        {
            // Inside a string, escaped: legal JSON carrying a control character to the engine.
            var request = body["request"]!.AsObject();
            request[request.Select(p => p.Key).ElementAt(random.Next(request.Count))] = "a" + (char)random.Next(0, 0x20) + "b";
            return Bytes(body);
        }

        return [.. text];
    }

    private static byte[] FieldName(Random random, JsonObject body)
    {
        var text = body.ToJsonString();
        return random.Next(4) switch
        {
            0 => Encoding.UTF8.GetBytes(text.Replace("\"mote\"", "\"Mote\"", StringComparison.Ordinal)),
            1 => Encoding.UTF8.GetBytes(text.Replace("\"request\"", "\"reques\"", StringComparison.Ordinal)),
            2 => Encoding.UTF8.GetBytes(text.Replace("{\"mote\"", "{\"mote\":3,\"mote\"", StringComparison.Ordinal)),
            _ => Encoding.UTF8.GetBytes(text.Insert(1, $"\"{new string('k', random.Next(1, 600))}\":{random.Next()},")),
        };
    }

    private static JsonObject Overrides(Random random, JsonObject body)
    {
        var name = new[] { "delta", "tau", "deadlineMs" }[random.Next(3)];
        body[name] = random.Next(8) switch
        {
            0 => -random.NextDouble() * 1000,
            1 => 0,
            2 => name == "deadlineMs" ? 100 : random.NextDouble() * 2,
            3 => "0.9",
            4 => new JsonArray(0.9),
            5 => 1e300,
            6 => null,
            // A deadline that lets the call run: below that, a 503/504 for a deadline the caller chose is the answer.
            _ => 100 + (random.NextDouble() * 29_000),
        };
        return body;
    }
}
