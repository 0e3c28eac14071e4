namespace Biathlon.Sampling.Errors;

/// <summary>A predicate, time window, sample fraction or aggregate request that cannot be evaluated.</summary>
public sealed class QueryException : BiathlonException
{
    /// <summary>Creates the exception for the named field or argument.</summary>
    public QueryException(string field, string message)
        : base(field, message)
    {
    }

    /// <summary>The field or argument at fault (for example <c>from</c>, <c>z</c> or a column name).</summary>
    public string Field => Subject;
}
