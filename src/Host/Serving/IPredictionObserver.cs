namespace Biathlon.Host.Serving;

/// <summary>Something that watches served predictions (the status page's recent list); called on the request path, so it must be cheap and never throw.</summary>
internal interface IPredictionObserver
{
    /// <summary>One prediction was served.</summary>
    void Served(ServedPrediction prediction);
}
