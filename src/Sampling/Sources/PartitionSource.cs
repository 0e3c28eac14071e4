namespace Biathlon.Sampling.Sources;

/// <summary>
/// Where a remote table's rows come from. The table's layouts keep a <see cref="RemoteLayoutIndex"/> locally, so
/// sizing a query never touches the network; before a round widens its cursors, the caller hands every cursor's
/// widening to <see cref="FetchAsync"/> in one <see cref="FetchBatch"/>, and the source brings the rows of the new
/// partitions only, all queries' at once. In-process tables have no source: their rows are already here.
/// </summary>
internal abstract class PartitionSource
{
    /// <summary>A short description for logs and results, such as "redis 127.0.0.1:6379".</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Fetches, for every entry of <paramref name="batch"/>, the rows its cursor's widening will read and hands them to
    /// the cursor (<see cref="Aggregates.SampleCursor.Provide"/>). Throws <see cref="Errors.DataSourceException"/> when
    /// the store cannot be reached in time or a value is damaged; the cursors then hold no partial partition.
    /// </summary>
    public abstract ValueTask FetchAsync(FetchBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// How long ago the local indexes were last confirmed current against the store: below the refresh period while
    /// refreshes succeed, growing while they fail (appends made meanwhile are not served). Zero for a source whose
    /// indexes cannot fall behind.
    /// </summary>
    public virtual TimeSpan IndexAge => TimeSpan.Zero;

    /// <summary>Why the last refresh of the local indexes failed, while none has succeeded since; null otherwise.</summary>
    public virtual string? RefreshFailure => null;
}
