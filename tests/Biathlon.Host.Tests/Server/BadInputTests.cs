using System.Text;

namespace Biathlon.Host.Tests.Server;

/// <summary>Bad bodies, one fault each: a problem+json 400 (or 404, 415) whose <c>field</c> names the fault by its JSON path.</summary>
[Collection(ServerCollection.Name)]
public sealed class BadInputTests(MainServer server)
{
    private const string Sensor = TestPipelines.Sensor;
    private const string Flight = TestPipelines.Flight;
    private const string Valid = "\"mote\":1,\"indoor\":0,\"reading\":500,\"temperature\":29.87,\"humidity\":46.49";

    public static TheoryData<string, string, string, int, string> Cases() => new()
    {
        // case, pipeline/endpoint, body, status, field
        { "malformed JSON", $"{Sensor}/predict", "{\"request\":{" + Valid, 400, "body" },
        { "not JSON at all", $"{Sensor}/predict", "mote=1&indoor=0", 400, "body" },
        { "empty body", $"{Sensor}/predict", "", 400, "body" },
        { "body an array", $"{Sensor}/predict", "[{" + Valid + "}]", 400, "body" },
        { "body a string", $"{Sensor}/predict", "\"request\"", 400, "body" },
        { "body a number", $"{Sensor}/predict", "42", 400, "body" },
        { "body null", $"{Sensor}/predict", "null", 400, "body" },
        { "trailing comma", $"{Sensor}/predict", "{\"request\":{" + Valid + ",}}", 400, "body" },
        { "comment", $"{Sensor}/predict", "{/* hi */\"request\":{" + Valid + "}}", 400, "body" },
        { "NaN token", $"{Sensor}/predict", "{\"request\":{\"mote\":1,\"indoor\":0,\"reading\":500,\"temperature\":NaN,\"humidity\":46.49}}", 400, "body" },
        { "nesting too deep", $"{Sensor}/predict", "{\"request\":{" + Valid + ",\"x\":" + new string('[', 40) + new string(']', 40) + "}}", 400, "body" },
        { "string for a number", $"{Sensor}/predict", "{\"request\":{\"mote\":1,\"indoor\":0,\"reading\":500,\"temperature\":\"hot\",\"humidity\":46.49}}", 400, "request.temperature" },
        { "string for an integer", $"{Sensor}/predict", "{\"request\":{\"mote\":\"1\",\"indoor\":0,\"reading\":500,\"temperature\":29.87,\"humidity\":46.49}}", 400, "request.mote" },
        { "fraction for an integer", $"{Sensor}/predict", "{\"request\":{\"mote\":1.5,\"indoor\":0,\"reading\":500,\"temperature\":29.87,\"humidity\":46.49}}", 400, "request.mote" },
        { "boolean for a number", $"{Sensor}/predict", "{\"request\":{\"mote\":1,\"indoor\":0,\"reading\":500,\"temperature\":true,\"humidity\":46.49}}", 400, "request.temperature" },
        { "number for a string", $"{Flight}/predict", "{\"request\":{\"origin\":5,\"destination\":\"LGA\",\"distance\":733.0,\"departure\":\"2001-06-12T17:05:00\"}}", 400, "request.origin" },
        { "timestamp that is not one", $"{Flight}/predict", "{\"request\":{\"origin\":\"ORD\",\"destination\":\"LGA\",\"distance\":733.0,\"departure\":\"yesterday\"}}", 400, "request.departure" },
        { "missing field", $"{Sensor}/predict", "{\"request\":{\"mote\":1,\"indoor\":0,\"reading\":500,\"temperature\":29.87}}", 400, "request.humidity" },
        { "missing request", $"{Sensor}/predict", "{\"tau\":0.9}", 400, "request" },
        { "empty object", $"{Sensor}/predict", "{}", 400, "request" },
        { "request not an object", $"{Sensor}/predict", "{\"request\":[1,0,500,29.87,46.49]}", 400, "request" },
        { "unknown field", $"{Sensor}/predict", "{\"request\":{" + Valid + ",\"pressure\":1013}}", 400, "request.pressure" },
        { "unknown property", $"{Sensor}/predict", "{\"request\":{" + Valid + "},\"priority\":1}", 400, "priority" },
        { "requests on predict", $"{Sensor}/predict", "{\"requests\":[{" + Valid + "}]}", 400, "requests" },
        { "request on predict-batch", $"{Sensor}/predict-batch", "{\"request\":{" + Valid + "}}", 400, "request" },
        { "nested object as a value", $"{Sensor}/predict", "{\"request\":{\"mote\":{\"id\":1},\"indoor\":0,\"reading\":500,\"temperature\":29.87,\"humidity\":46.49}}", 400, "request.mote" },
        { "array as a value", $"{Sensor}/predict", "{\"request\":{\"mote\":[1],\"indoor\":0,\"reading\":500,\"temperature\":29.87,\"humidity\":46.49}}", 400, "request.mote" },
        { "null value", $"{Sensor}/predict", "{\"request\":{\"mote\":null,\"indoor\":0,\"reading\":500,\"temperature\":29.87,\"humidity\":46.49}}", 400, "request.mote" },
        { "huge string", $"{Flight}/predict", "{\"request\":{\"origin\":\"" + new string('O', 100_000) + "\",\"destination\":\"LGA\",\"distance\":733.0,\"departure\":\"2001-06-12T17:05:00\"}}", 400, "request.origin" },
        { "huge field name", $"{Sensor}/predict", "{\"request\":{" + Valid + ",\"" + new string('f', 10_000) + "\":1}}", 400, "request." + new string('f', 64) + "…" },
        { "number too large", $"{Sensor}/predict", "{\"request\":{\"mote\":1,\"indoor\":0,\"reading\":500,\"temperature\":1e400,\"humidity\":46.49}}", 400, "request.temperature" },
        { "integer too large", $"{Sensor}/predict", "{\"request\":{\"mote\":1,\"indoor\":0,\"reading\":99999999999999999999,\"temperature\":29.87,\"humidity\":46.49}}", 400, "request.reading" },
        { "key value outside its column", $"{Sensor}/predict", "{\"request\":{\"mote\":-9223372036854775808,\"indoor\":0,\"reading\":500,\"temperature\":29.87,\"humidity\":46.49}}", 400, "request.mote" },
        { "window that overflows", $"{Sensor}/predict", "{\"request\":{\"mote\":1,\"indoor\":0,\"reading\":-9223372036854775808,\"temperature\":29.87,\"humidity\":46.49}}", 400, "request.reading" },
        { "unknown integer key", $"{Sensor}/predict", "{\"request\":{\"mote\":987654,\"indoor\":0,\"reading\":500,\"temperature\":29.87,\"humidity\":46.49}}", 400, "request.mote" },
        { "negative deadline", $"{Sensor}/predict", "{\"request\":{" + Valid + "},\"deadlineMs\":-100}", 400, "deadlineMs" },
        { "negative deadline on exact", $"{Sensor}/predict-exact", "{\"request\":{" + Valid + "},\"deadlineMs\":-100}", 400, "deadlineMs" },
        { "duplicate property", $"{Sensor}/predict", "{\"request\":{" + Valid + "},\"request\":{" + Valid + "}}", 400, "request" },
        { "duplicate field", $"{Sensor}/predict", "{\"request\":{" + Valid + ",\"mote\":2}}", 400, "request.mote" },
        { "duplicate override", $"{Sensor}/predict", "{\"request\":{" + Valid + "},\"tau\":0.9,\"tau\":0.8}", 400, "tau" },
        { "batch not an array", $"{Sensor}/predict-batch", "{\"requests\":{" + Valid + "}}", 400, "requests" },
        { "batch item not an object", $"{Sensor}/predict-batch", "{\"requests\":[{" + Valid + "},7]}", 400, "requests[1]" },
        { "batch item with a bad field", $"{Sensor}/predict-batch", "{\"requests\":[{" + Valid + "},{\"mote\":1,\"indoor\":0,\"reading\":500,\"temperature\":\"x\",\"humidity\":46.49}]}", 400, "requests[1].temperature" },
        { "unknown pipeline", "no-such-pipeline/predict", "{\"request\":{" + Valid + "}}", 404, "pipeline" },
        { "unknown pipeline, bad body", "no-such-pipeline/predict-exact", "{", 404, "pipeline" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_body_is_a_problem_naming_the_field(string fault, string path, string body, int status, string field)
    {
        using var response = await Api.PostRawAsync(server.Client, $"v1/pipelines/{path}", body, "application/json");
        var problem = await Api.AssertProblemAsync(response, status, field);
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()), $"{fault}: a problem explains itself");
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x72, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D })] // {"r\xFF\xFE":1}
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0xC3, 0x28 })] // a BOM, then a broken two-byte sequence
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x00 })]
    public async Task Invalid_utf8_is_a_400_naming_the_body(byte[] body)
    {
        using var response = await Api.PostBytesAsync(server.Client, Api.PredictPath(Sensor), body, "application/json");
        await Api.AssertProblemAsync(response, 400, "body");
    }

    /// <summary>
    /// The endpoints declare the JSON they accept, so ASP.NET Core's routing refuses other media types before the server
    /// reads the body: a 415 problem, without the <c>field</c> member the server's own refusals carry.
    /// </summary>
    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task Body_that_is_not_json_by_its_content_type_is_a_415(string contentType)
    {
        var body = "{\"request\":{" + Valid + "}}";
        foreach (var endpoint in new[] { "predict", "predict-batch", "predict-exact" })
        {
            using var response = await Api.PostBytesAsync(server.Client, Api.PredictPath(Sensor, endpoint), Encoding.UTF8.GetBytes(body), contentType);
            await Api.AssertProblemAsync(response, 415, field: null);
        }
    }

    /// <summary>
    /// Whole numbers reach the engine as integers, exactly: 2^53 and 2^53 + 1 are one double but two integers, so their
    /// requests have different replay seeds (the digest of the exact field values). Read as doubles, both were refused.
    /// </summary>
    [Fact]
    public async Task Integers_beyond_double_precision_are_read_exactly()
    {
        var seeds = new List<string>();
        foreach (var reading in new[] { 9_007_199_254_740_992L, 9_007_199_254_740_993L, long.MaxValue })
        {
            var request = TestPipelines.SensorSelfTest;
            request["reading"] = reading;
            var body = await Api.PredictAsync(server.Client, Sensor, request);
            seeds.Add(body["seed"]!.ToJsonString());
        }

        Assert.Equal(seeds.Count, seeds.Distinct().Count());
    }

    [Fact]
    public async Task Body_without_a_content_type_is_read_as_json()
    {
        using var response = await Api.PostRawAsync(server.Client, Api.PredictPath(Sensor), "{\"request\":{" + Valid + "}}", contentType: null);
        await Api.OkJsonAsync(response);
    }

    [Fact]
    public async Task Wrong_method_is_a_405_problem()
    {
        using var response = await server.Client.GetAsync(new Uri(Api.PredictPath(Sensor), UriKind.Relative));
        await Api.AssertProblemAsync(response, 405, field: null);
    }
}
