// The scoring server. Serving endpoints arrive with the engine; for now it answers liveness only.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/healthz", () => Results.Text("ok"));
app.Run();

/// <summary>Entry point, public so integration tests can host the server in-process.</summary>
public partial class Program;
