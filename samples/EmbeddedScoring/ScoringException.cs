namespace EmbeddedScoring;

/// <summary>A problem with the input that ends the run with exit code 1: the message is the whole error line.</summary>
internal sealed class ScoringException(string message) : Exception(message);
