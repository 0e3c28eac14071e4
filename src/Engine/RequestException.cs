using Biathlon.Sampling.Errors;

namespace Biathlon.Engine;

/// <summary>
/// A request the pipeline cannot serve: a missing field without a fill, an unknown field, a value of the wrong type, a
/// string outside a categorical feature's categories, a key the data never holds (unless the query serves unknown keys
/// as no rows), a window the request's time moves outside the representable range, or a δ field that is not above 0.
/// It never reaches the model.
/// </summary>
public sealed class RequestException : BiathlonException
{
    /// <summary>Creates the exception for <paramref name="field"/>.</summary>
    public RequestException(string field, string message)
        : base(field, message)
    {
    }

    /// <summary>The request field at fault.</summary>
    public string Field => Subject;
}
