namespace Biathlon.Host.Http;

/// <summary>Finds the API key a call presents: <c>Authorization: Bearer KEY</c>, else <c>X-Api-Key: KEY</c>.</summary>
internal static class CallerKey
{
    public static string? Of(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        var header = request.Headers["X-Api-Key"].ToString();
        return header.Length > 0 ? header : null;
    }
}
