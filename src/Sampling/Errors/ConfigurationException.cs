namespace Biathlon.Sampling.Errors;

/// <summary>An option with a value outside its documented range (for example a partition count below 1).</summary>
public sealed class ConfigurationException : BiathlonException
{
    /// <summary>Creates the exception for the named option.</summary>
    public ConfigurationException(string option, string message)
        : base(option, message)
    {
    }

    /// <summary>The option at fault.</summary>
    public string Option => Subject;
}
