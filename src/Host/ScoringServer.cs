using Biathlon.Host.Audit;
using Biathlon.Host.Configuration;
using Biathlon.Host.Grpc;
using Biathlon.Host.Http;
using Biathlon.Host.Metrics;
using Biathlon.Host.Pipelines;
using Biathlon.Host.Security;
using Biathlon.Host.Serving;
using Biathlon.Host.Status;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Biathlon.Host;

/// <summary>
/// Builds the scoring server: services, limits and endpoints (JSON and gRPC) over the configuration in <c>args</c>,
/// appsettings.json and the environment. Binding, loopback only unless told otherwise:
/// <list type="bullet">
/// <item>Nothing configured: the JSON API on <see cref="DefaultUrl"/> (HTTP/1.1 and HTTP/2) and gRPC on
/// <see cref="DefaultGrpcUrl"/> (HTTP/2 only, which cleartext gRPC needs). <c>Biathlon:GrpcUrl</c> moves the gRPC
/// endpoint; set empty, it removes it.</item>
/// <item><c>--urls</c> (or <c>ASPNETCORE_URLS</c>): those addresses, as before; a gRPC endpoint only when
/// <c>Biathlon:GrpcUrl</c> is set too (tests bind both to port 0 and read the gRPC one from <see cref="GrpcEndpoint"/>).</item>
/// <item><c>Kestrel:Endpoints</c>: exactly those endpoints; give one <c>"Protocols": "Http2"</c> for cleartext gRPC.
/// <c>Biathlon:GrpcUrl</c> is then ignored.</item>
/// </list>
/// gRPC services answer on every endpoint that speaks HTTP/2; docs/grpc.md has the contract.
/// </summary>
internal static class ScoringServer
{
    /// <summary>The JSON API's address when nothing else is configured: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The gRPC (h2c) address when nothing else is configured: loopback only.</summary>
    public const string DefaultGrpcUrl = "http://127.0.0.1:5081";

    /// <summary>The configuration key of the gRPC endpoint's URL.</summary>
    public const string GrpcUrlKey = ServerOptions.Section + ":GrpcUrl";

    // The Kestrel endpoint names the server gives the addresses it binds itself.
    private const string GrpcEndpointName = "BiathlonGrpc";
    private const string JsonEndpointName = "BiathlonJson";

    public static WebApplication Build(string[] args)
    {
        // The content root is the binary's folder, so its appsettings.json applies wherever the server is started from
        // (a relative pipelines folder is still looked up from the working directory).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var configuration = builder.Configuration;
        var operatorEndpoints = configuration.GetSection("Kestrel:Endpoints").Exists();
        var grpcEndpoint = Bind(builder, operatorEndpoints);

        var services = builder.Services;
        services.AddOptions<ServerOptions>().Bind(configuration.GetSection(ServerOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsValidator>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(configuration.GetValue("Biathlon:DrainSeconds", 30)));
        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddServerMetrics();
        services.AddSingleton<IPredictionObserver, RecentPredictionsObserver>();
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
        services.AddSingleton(grpcEndpoint);
        services.AddGrpc();
        // A protobuf message is smaller than the same JSON, so the JSON body limit also bounds gRPC messages.
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<ServerOptions>>((grpc, server) => grpc.MaxReceiveMessageSize = server.Value.Limits.MaxBodyBytes);

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
        app.MapServerMetrics();
        // Gauges without labels are exported from the first scrape (at 0), not from the first queued call.
        var instruments = app.Services.GetRequiredService<ServerInstruments>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            instruments.InFlightChanged(0);
            instruments.QueueLengthChanged(0);
        });
        var catalog = app.Services.GetRequiredService<PipelineCatalog>();
        app.MapStatusPage(() => catalog.States
            .Where(s => catalog.VersionOf(s.Name) is not null)
            .Select(s => new PipelineStatus(s.Name, catalog.VersionOf(s.Name) ?? 0, s.Phase == PipelineState.Serving ? null : s.Error, catalog.ShadowVersionOf(s.Name)))
            .ToArray());
        app.MapHealthEndpoints();
        app.MapPipelineEndpoints();
        app.MapPredictionEndpoints();
        app.MapAdminEndpoints();
        app.MapStoreEndpoints();
        app.MapGrpcService<ScoringGrpcService>();
        app.MapGrpcService<AdminGrpcService>();
        if (operatorEndpoints && !string.IsNullOrEmpty(configuration[GrpcUrlKey]))
        {
            app.Logger.LogWarning("{Key} is ignored: Kestrel:Endpoints configures every endpoint. Give one \"Protocols\": \"Http2\" for cleartext gRPC.", GrpcUrlKey);
        }

        return app;
    }

    /// <summary>
    /// Binds the JSON API's addresses and, where one is wanted, the HTTP/2-only gRPC endpoint (see the class summary);
    /// returns where the gRPC endpoint will listen. <paramref name="operatorEndpoints"/>: Kestrel:Endpoints is configured.
    /// </summary>
    private static GrpcEndpoint Bind(WebApplicationBuilder builder, bool operatorEndpoints)
    {
        var configuration = builder.Configuration;
        if (operatorEndpoints)
        {
            return new GrpcEndpoint(null);
        }

        var urls = configuration["urls"] is { Length: > 0 } given ? given : configuration["ASPNETCORE_URLS"];
        var defaulted = string.IsNullOrEmpty(urls);
        var grpcUrl = configuration[GrpcUrlKey] ?? (defaulted ? DefaultGrpcUrl : null);
        if (string.IsNullOrEmpty(grpcUrl))
        {
            if (defaulted)
            {
                builder.WebHost.UseUrls(DefaultUrl);
            }

            return new GrpcEndpoint(null);
        }

        // Kestrel binds either URLs (one set of protocols for all) or endpoints, never both, so every address becomes
        // an endpoint: the URLs keep HTTP/1.1 and HTTP/2, the gRPC one gets HTTP/2 only. Kestrel still sees URLs given
        // on the command line or in ASPNETCORE_URLS, and logs that the endpoints override them: the same addresses.
        // Blanking the ports keeps a container's ASPNETCORE_HTTP_PORTS from adding an address, as UseUrls did.
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["urls"] = "",
            ["http_ports"] = "",
            ["https_ports"] = "",
            [$"Kestrel:Endpoints:{GrpcEndpointName}:Url"] = grpcUrl,
            [$"Kestrel:Endpoints:{GrpcEndpointName}:Protocols"] = nameof(HttpProtocols.Http2),
        };
        var index = 0;
        foreach (var url in (defaulted ? DefaultUrl : urls!).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            settings[$"Kestrel:Endpoints:{JsonEndpointName}{index++}:Url"] = url;
        }

        configuration.AddInMemoryCollection(settings);
        var endpoint = new GrpcEndpoint(grpcUrl);
        builder.WebHost.ConfigureKestrel(kestrel =>
            (kestrel.ConfigurationLoader ?? kestrel.Configure(configuration.GetSection("Kestrel"))).Endpoint(GrpcEndpointName, e => endpoint.Configured(e.ListenOptions)));
        return endpoint;
    }
}
