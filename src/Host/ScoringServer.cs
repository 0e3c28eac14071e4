using Biathlon.Host.Audit;
using Biathlon.Host.Configuration;
using Biathlon.Host.Http;
using Biathlon.Host.Metrics;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Security;
using Biathlon.Host.Serving;
using Microsoft.Extensions.Options;

namespace Biathlon.Host;

/// <summary>
/// Builds the scoring server: services, limits and endpoints over the configuration in <c>args</c>, appsettings.json
/// and the environment. Kestrel binds what its standard configuration says (<c>--urls</c>, <c>Kestrel:Endpoints</c>),
/// and only loopback unless told otherwise.
/// </summary>
internal static class ScoringServer
{
    /// <summary>The address served when nothing else is configured: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration["urls"]) && string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]) && !configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var services = builder.Services;
        services.AddOptions<ServerOptions>().Bind(configuration.GetSection(ServerOptions.Section)).Validate(Validate, "invalid").ValidateOnStart();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(configuration.GetValue("Biathlon:DrainSeconds", 30)));
        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddSingleton<ServerInstruments>();
        services.AddSingleton(sp => new ApiKeyStore(sp.GetRequiredService<IOptions<ServerOptions>>().Value.ApiKeys));
        services.AddSingleton<PipelineCatalog>();
        services.AddSingleton<AdmissionGate>();
        services.AddSingleton<ServerLifecycle>();
        services.Configure<AuditOptions>(configuration.GetSection(AuditOptions.SectionName));
        services.AddSingleton(sp => AuditLog.Open(sp.GetRequiredService<IOptions<AuditOptions>>().Value, sp.GetRequiredService<ILogger<AuditLog>>()));
        services.AddSingleton<IAuditTrail, AuditTrail>();
        services.AddSingleton<ShadowRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<ShadowRunner>());
        services.AddHostedService<CatalogLoading>();
        services.AddSingleton<PredictionService>();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        var keys = app.Services.GetRequiredService<ApiKeyStore>();
        if (!keys.Enabled)
        {
            app.Logger.LogWarning("No API keys are configured (Biathlon:ApiKeys): every caller may predict and reload. Keep the server on loopback.");
        }

        app.Services.GetRequiredService<ServerLifecycle>();
        // Opening the audit log now makes a broken chain or a log locked by another server stop the start, not a request.
        app.Services.GetRequiredService<AuditLog>();
        app.MapOpenApi();
        app.MapHealthEndpoints();
        app.MapPipelineEndpoints();
        app.MapPredictionEndpoints();
        app.MapAdminEndpoints();
        return app;
    }

    private static bool Validate(ServerOptions options)
    {
        var l = options.Limits;
        return l.MaxBodyBytes > 0 && l.MaxStringLength > 0 && l.MaxBatchSize > 0 && l.MinDeltaRatio > 0 && l.MaxDeltaRatio >= l.MinDeltaRatio
            && l.MinTau > 0 && l.MaxTau < 1 && l.MinTau <= l.MaxTau && l.DefaultDeadlineMs > 0 && l.MaxDeadlineMs >= l.DefaultDeadlineMs
            && l.MaxConcurrency > 0 && l.QueueLength >= 0 && options.RecentPredictions >= 0
            && options.Shadows.Values.All(s => s.Share is >= 0 and <= 1 && s.Folder.Length > 0);
    }
}
