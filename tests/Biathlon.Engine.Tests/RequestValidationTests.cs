namespace Biathlon.Engine.Tests;

/// <summary>Bad requests get a <see cref="RequestException"/> naming the field, before any data is read or the model is called.</summary>
[Collection(FlightDelayCollection.Name)]
public sealed class RequestValidationTests(FlightDelayFixture pipeline)
{
    private static Dictionary<string, object?> Good() => new()
    {
        ["origin"] = "ORD",
        ["destination"] = "LGA",
        ["distance"] = 733.0,
        ["departure"] = new DateTime(2001, 6, 12, 17, 5, 0),
    };

    public static TheoryData<string, object?, string> BadValues() => new()
    {
        { "origin", 42, "must be a string" },
        { "distance", "far", "must be a number" },
        { "departure", "yesterday-ish", "must be a timestamp" },
        { "departure", null, "is null" },
        { "origin", "XYZ", "Unknown value 'XYZ'" },
        { "destination", "QQQ", "Unknown value 'QQQ'" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_names_its_field(string field, object? value, string message)
    {
        var request = Good();
        request[field] = value;
        var e = Assert.Throws<RequestException>(() => pipeline.Engine.Predict(request));
        Assert.Equal(field, e.Field);
        Assert.Contains(message, e.Message);
        Assert.Equal(field, Assert.Throws<RequestException>(() => pipeline.Engine.PredictExact(request)).Field);
    }

    [Fact]
    public void A_missing_field_and_an_unknown_field_are_named()
    {
        var missing = Good();
        missing.Remove("distance");
        Assert.Equal("distance", Assert.Throws<RequestException>(() => pipeline.Engine.Predict(missing)).Field);

        var extra = Good();
        extra["carrier"] = "AA";
        Assert.Equal("carrier", Assert.Throws<RequestException>(() => pipeline.Engine.Predict(extra)).Field);
    }

    [Fact]
    public void Json_values_are_accepted_like_clr_values()
    {
        using var document = System.Text.Json.JsonDocument.Parse("""{"origin":"ORD","destination":"LGA","distance":733,"departure":"2001-06-12T17:05:00"}""");
        var request = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
        var fromJson = pipeline.Engine.PredictExact(request);
        var fromClr = pipeline.Engine.PredictExact(Good());
        Assert.Equal(fromClr.Value, fromJson.Value);
    }

    [Fact]
    public void A_bad_request_leaves_the_engine_serving()
    {
        Assert.ThrowsAny<RequestException>(() => pipeline.Engine.Predict(new Dictionary<string, object?>()));
        Assert.True(double.IsFinite(pipeline.Engine.Predict(Good()).Value));
    }
}
