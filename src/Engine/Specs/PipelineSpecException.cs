using Biathlon.Sampling.Errors;

namespace Biathlon.Engine.Specs;

/// <summary>A pipeline spec that cannot be used. Names the spec file and the JSON path of the bad value (for example <c>$.queries[1].window.from</c>).</summary>
public sealed class PipelineSpecException : BiathlonException
{
    /// <summary>Creates the exception.</summary>
    public PipelineSpecException(string file, string jsonPath, string message, Exception? inner = null)
        : base(jsonPath, $"{file}: {jsonPath}: {message}", inner)
    {
        File = file;
        JsonPath = jsonPath;
    }

    /// <summary>The spec file.</summary>
    public string File { get; }

    /// <summary>JSON path of the bad value.</summary>
    public string JsonPath { get; }
}
