namespace Biathlon.Host.Pipelines;

/// <summary>The self-test of one pipeline version: passed or not, and what happened.</summary>
internal sealed record SelfTestOutcome(bool Passed, string Detail, long Version, DateTimeOffset At);
