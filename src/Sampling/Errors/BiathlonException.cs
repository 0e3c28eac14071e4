namespace Biathlon.Sampling.Errors;

/// <summary>
/// Base type of every error the engine raises on bad input. <see cref="Subject"/> names the thing at fault
/// (a file, a column, an argument) so callers can report it without parsing the message.
/// </summary>
public abstract class BiathlonException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="subject">The file, column or argument at fault.</param>
    /// <param name="message">A message that names <paramref name="subject"/>.</param>
    /// <param name="inner">The lower-level error, if any.</param>
    protected BiathlonException(string subject, string message, Exception? inner = null)
        : base(message, inner)
    {
        Subject = subject;
    }

    /// <summary>The file, column or argument the error is about.</summary>
    public string Subject { get; }
}
