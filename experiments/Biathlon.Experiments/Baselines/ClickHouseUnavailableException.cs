namespace Biathlon.Experiments.Baselines;

/// <summary>
/// The ClickHouse server cannot run here: the binary is missing or it did not start. Callers skip the ClickHouse
/// methods with this message; nothing is faked in their place.
/// </summary>
public sealed class ClickHouseUnavailableException(string message) : Exception(message);
