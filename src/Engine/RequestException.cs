using Biathlon.Sampling.Errors;

namespace Biathlon.Engine;

/// <summary>A request the pipeline cannot serve: a missing or unknown field, a value of the wrong type, or a key value the data never holds. It never reaches the model.</summary>
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
