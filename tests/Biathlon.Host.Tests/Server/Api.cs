using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Biathlon.Host.Tests.Server;

/// <summary>Calls to the scoring server's HTTP API and the checks the server tests share.</summary>
internal static class Api
{
    /// <summary>The media type of every error body.</summary>
    public const string ProblemJson = "application/problem+json";

    /// <summary>A predict body <c>{"request": {...}}</c> with optional overrides (<c>delta</c>, <c>tau</c>, <c>deadlineMs</c>).</summary>
    public static JsonObject Body(JsonObject request, params (string Name, JsonNode? Value)[] overrides)
    {
        var body = new JsonObject { ["request"] = request.DeepClone() };
        foreach (var (name, value) in overrides)
        {
            body[name] = value?.DeepClone();
        }

        return body;
    }

    /// <summary>A batch body <c>{"requests": [...]}</c> with optional overrides.</summary>
    public static JsonObject BatchBody(IEnumerable<JsonObject> requests, params (string Name, JsonNode? Value)[] overrides)
    {
        var body = new JsonObject { ["requests"] = new JsonArray(requests.Select(r => (JsonNode)r.DeepClone()).ToArray()) };
        foreach (var (name, value) in overrides)
        {
            body[name] = value?.DeepClone();
        }

        return body;
    }

    public static string PredictPath(string pipeline, string endpoint = "predict") => $"v1/pipelines/{pipeline}/{endpoint}";

    /// <summary>POSTs <paramref name="body"/> as application/json.</summary>
    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, JsonNode body, CancellationToken cancellationToken = default) =>
        PostRawAsync(client, path, body.ToJsonString(), "application/json", cancellationToken);

    /// <summary>POSTs <paramref name="text"/> as is, with <paramref name="contentType"/> (null: no Content-Type header).</summary>
    public static Task<HttpResponseMessage> PostRawAsync(HttpClient client, string path, string text, string? contentType, CancellationToken cancellationToken = default) =>
        PostBytesAsync(client, path, Encoding.UTF8.GetBytes(text), contentType, cancellationToken);

    /// <summary>POSTs <paramref name="bytes"/> as is, with <paramref name="contentType"/> (null: no Content-Type header).</summary>
    public static Task<HttpResponseMessage> PostBytesAsync(HttpClient client, string path, byte[] bytes, string? contentType, CancellationToken cancellationToken = default)
    {
        var content = new ByteArrayContent(bytes);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return client.PostAsync(new Uri(path, UriKind.Relative), content, cancellationToken);
    }

    /// <summary>The body as JSON.</summary>
    public static async Task<JsonNode> JsonOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonNode.Parse(text) ?? throw new InvalidOperationException("The body is JSON null.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} body is not JSON ({e.Message}): {Shorten(text)}", e);
        }
    }

    /// <summary>GETs <paramref name="path"/>, asserts 200 and returns the JSON body.</summary>
    public static async Task<JsonNode> GetOkAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        return await OkJsonAsync(response);
    }

    /// <summary>Asserts 200 and returns the JSON body (the body is in the failure message otherwise).</summary>
    public static async Task<JsonNode> OkJsonAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Fail($"Expected 200, got {(int)response.StatusCode}: {Shorten(await response.Content.ReadAsStringAsync())}");
        }

        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await JsonOf(response);
    }

    /// <summary>Predicts one request and returns the 200 body.</summary>
    public static async Task<JsonObject> PredictAsync(HttpClient client, string pipeline, JsonObject request, string endpoint = "predict", params (string Name, JsonNode? Value)[] overrides)
    {
        using var response = await PostAsync(client, PredictPath(pipeline, endpoint), Body(request, overrides));
        return (await OkJsonAsync(response)).AsObject();
    }

    /// <summary>
    /// Asserts an RFC 9457 problem: <paramref name="status"/>, content type application/problem+json, a body whose
    /// <c>status</c> matches and, when <paramref name="field"/> is given, whose <c>field</c> member names it.
    /// </summary>
    public static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, int status, string? field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {Shorten(text)}");
        Assert.Equal(ProblemJson, response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["title"]?.GetValue<string>()), "A problem has a title.");
        if (field is not null)
        {
            Assert.True(field == problem["field"]?.GetValue<string>(), $"Expected field '{field}', got '{problem["field"]}': {Shorten(text)}");
        }

        return problem;
    }

    /// <summary>
    /// Asserts two predictions of the same request are the same answer: every member equal (value, confidence, rounds,
    /// plan, features, seed...) but the engine timings and the pipeline version that served it.
    /// </summary>
    public static void AssertSamePrediction(JsonNode expected, JsonNode actual, string? context = null)
    {
        var a = Comparable(expected);
        var b = Comparable(actual);
        if (!JsonNode.DeepEquals(a, b))
        {
            Assert.Fail($"{context ?? "Predictions differ"}:\nexpected {a.ToJsonString()}\nactual   {b.ToJsonString()}");
        }
    }

    public static string Shorten(string text, int length = 600) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "…");

    private static JsonObject Comparable(JsonNode prediction)
    {
        var copy = prediction.DeepClone().AsObject();
        copy.Remove("timings");
        copy.Remove("version");
        return copy;
    }
}
