namespace Biathlon.Sampling.Errors;

/// <summary>A data file that cannot be read: missing, not in a supported format, truncated or empty.</summary>
public sealed class DataSourceException : BiathlonException
{
    /// <summary>Creates the exception for the file or source named <paramref name="source"/>.</summary>
    public DataSourceException(string source, string message, Exception? inner = null)
        : base(source, message, inner)
    {
    }

    /// <summary>The file path or source name at fault.</summary>
    public string SourceName => Subject;
}
