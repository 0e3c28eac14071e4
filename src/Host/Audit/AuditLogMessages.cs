namespace Biathlon.Host.Audit;

/// <summary>The audit log's log messages.</summary>
internal static partial class AuditLogMessages
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information,
        Message = "Audit log {Path} opened: {Records} existing record(s), next seq {NextSequence}")]
    public static partial void Opened(this ILogger logger, string path, long records, long nextSequence);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning,
        Message = "Audit log {Path} ended with a torn tail of {Bytes} byte(s) after record {Records} (an interrupted " +
                  "write, never reported durable); truncated it and continued the chain")]
    public static partial void TornTailTruncated(this ILogger logger, string path, long bytes, long records);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error,
        Message = "Audit record {Sequence} could not be serialized; wrote an error record in its place")]
    public static partial void RecordSubstituted(this ILogger logger, Exception exception, long sequence);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Critical,
        Message = "Audit log {Path} stopped: writing failed after durable seq {DurableSequence}; predictions are " +
                  "refused until the server restarts")]
    public static partial void WriterFailed(this ILogger logger, Exception exception, string path, long durableSequence);
}
