using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Biathlon.Host.Tests.Server;

/// <summary>
/// A server with small limits: bodies up to 2,048 bytes, strings up to 32 characters, batches up to 4 requests, and one
/// prediction at a time with one call waiting. Both trained pipelines, as trained.
/// </summary>
public sealed class LimitsServer : ServerFixture
{
    public const int MaxBodyBytes = 2048;
    public const int MaxStringLength = 32;
    public const int MaxBatchSize = 4;

    protected override IEnumerable<string> Arguments()
    {
        Stage.Link(TestPipelines.Sensor).Link(TestPipelines.Flight);
        return
        [
            .. StageArguments(),
            $"--Biathlon:Limits:MaxBodyBytes={MaxBodyBytes}",
            $"--Biathlon:Limits:MaxStringLength={MaxStringLength}",
            $"--Biathlon:Limits:MaxBatchSize={MaxBatchSize}",
            "--Biathlon:Limits:MaxConcurrency=1",
            "--Biathlon:Limits:QueueLength=1",
        ];
    }
}

/// <summary>The operator's limits over HTTP: 413 for a large body, 400 naming the field for long strings and large batches, 429 with Retry-After under overload.</summary>
[Collection(ServerCollection.Name)]
public sealed class LimitTests(LimitsServer server, ITestOutputHelper output) : IClassFixture<LimitsServer>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task Body_over_the_limit_is_a_413_with_or_without_a_length()
    {
        var body = Padded(Api.Body(TestPipelines.SensorSelfTest), LimitsServer.MaxBodyBytes + 1);

        using (var sized = await Api.PostRawAsync(Client, Api.PredictPath(TestPipelines.Sensor), body, "application/json"))
        {
            await Api.AssertProblemAsync(sized, 413, "body");
        }

        // Chunked: the server learns the size only while reading.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(Padded(Api.Body(TestPipelines.SensorSelfTest), 4 * LimitsServer.MaxBodyBytes))));
        chunked.Headers.ContentType = new("application/json");
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(Api.PredictPath(TestPipelines.Sensor), UriKind.Relative)) { Content = chunked };
        message.Headers.TransferEncodingChunked = true;
        using var response = await Client.SendAsync(message);
        await Api.AssertProblemAsync(response, 413, "body");
    }

    [Fact]
    public async Task Body_of_exactly_the_limit_is_served()
    {
        var body = Padded(Api.Body(TestPipelines.SensorSelfTest), LimitsServer.MaxBodyBytes);
        Assert.Equal(LimitsServer.MaxBodyBytes, Encoding.UTF8.GetByteCount(body));
        using var response = await Api.PostRawAsync(Client, Api.PredictPath(TestPipelines.Sensor), body, "application/json");
        await Api.OkJsonAsync(response);
    }

    [Fact]
    public async Task String_longer_than_the_limit_is_a_400_naming_the_field()
    {
        var request = TestPipelines.FlightSelfTest;
        request["origin"] = new string('A', LimitsServer.MaxStringLength + 1);
        using (var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Flight), Api.Body(request)))
        {
            await Api.AssertProblemAsync(response, 400, "request.origin");
        }

        // The same in a batch names the request by its index.
        using (var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Flight, "predict-batch"), Api.BatchBody([TestPipelines.FlightSelfTest, request])))
        {
            await Api.AssertProblemAsync(response, 400, "requests[1].origin");
        }

        // A field name is a string too.
        var named = TestPipelines.SensorSelfTest;
        named[new string('n', LimitsServer.MaxStringLength + 1)] = 1;
        using var longName = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Sensor), Api.Body(named));
        var problem = await Api.AssertProblemAsync(longName, 400, field: null);
        Assert.StartsWith("request.nnnn", problem["field"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batch_larger_than_the_limit_is_a_400_naming_requests()
    {
        var requests = TestPipelines.SensorRequests(LimitsServer.MaxBatchSize + 1, seed: 41);
        using (var over = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Sensor, "predict-batch"), Api.BatchBody(requests)))
        {
            await Api.AssertProblemAsync(over, 400, "requests");
        }

        using (var empty = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Sensor, "predict-batch"), Api.BatchBody([])))
        {
            await Api.AssertProblemAsync(empty, 400, "requests");
        }

        using var full = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Sensor, "predict-batch"), Api.BatchBody(requests.Take(LimitsServer.MaxBatchSize)));
        Assert.Equal(LimitsServer.MaxBatchSize, (await Api.OkJsonAsync(full))["results"]!.AsArray().Count);
    }

    /// <summary>
    /// One slot, one queue place: of 48 exact flight-delay calls sent at once (about 45 ms each), the server runs one,
    /// queues one and refuses the rest with 429 and Retry-After, never a 5xx; afterwards it answers as before.
    /// </summary>
    [Fact]
    public async Task Overload_is_refused_with_429_and_Retry_After_and_the_server_still_answers()
    {
        const int Concurrent = 48;
        var request = TestPipelines.FlightBusyRoute;
        var reference = await Api.PredictAsync(Client, TestPipelines.Flight, request, "predict-exact");

        // Open the connections first, so the predictions leave together rather than one connect after another.
        await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(async _ =>
        {
            using var warm = await Client.GetAsync(new Uri("healthz", UriKind.Relative));
        }));

        var statuses = new Dictionary<int, int>();
        var retryAfter = new List<string>();
        var wave = 0;
        var clock = Stopwatch.StartNew();
        while (wave < 5 && !statuses.ContainsKey(429))
        {
            wave++;
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var calls = Enumerable.Range(0, Concurrent).Select(async _ =>
            {
                await start.Task;
                var response = await Api.PostAsync(Client, Api.PredictPath(TestPipelines.Flight, "predict-exact"), Api.Body(request));
                return (Response: response, Body: await response.Content.ReadAsStringAsync());
            }).ToArray();
            start.SetResult();
            foreach (var (response, body) in await Task.WhenAll(calls))
            {
                using (response)
                {
                    var status = (int)response.StatusCode;
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    Assert.True(status is 200 or 429, $"Only 200 and 429 are expected under overload; got {status}: {Api.Shorten(body)}");
                    if (status == 429)
                    {
                        Assert.Equal(Api.ProblemJson, response.Content.Headers.ContentType?.MediaType);
                        var seconds = Assert.Single(response.Headers.GetValues("Retry-After"));
                        Assert.True(int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture) >= 1, $"Retry-After: {seconds}");
                        retryAfter.Add(seconds);
                    }
                    else
                    {
                        Api.AssertSamePrediction(reference, JsonNode.Parse(body)!, "an exact answer under load");
                    }
                }
            }
        }

        output.WriteLine($"{wave} wave(s) of {Concurrent} concurrent predict-exact calls in {clock.ElapsedMilliseconds} ms: "
            + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Value} × {s.Key}")));
        Assert.True(statuses.GetValueOrDefault(429) > 0, "No call was refused: the admission limits did not hold.");
        Assert.True(statuses.GetValueOrDefault(200) >= wave, "At least the call holding the slot is served in each wave.");

        var after = await Api.PredictAsync(Client, TestPipelines.Flight, request, "predict-exact");
        Api.AssertSamePrediction(reference, after, "after the overload");
        var ready = await Api.GetOkAsync(Client, "readyz");
        Assert.True(ready["ready"]!.GetValue<bool>());
    }

    /// <summary>The body's JSON followed by spaces up to exactly <paramref name="bytes"/> bytes (JSON allows trailing whitespace).</summary>
    private static string Padded(JsonNode body, int bytes)
    {
        var text = body.ToJsonString();
        return text + new string(' ', bytes - Encoding.UTF8.GetByteCount(text));
    }
}
