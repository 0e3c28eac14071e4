using Biathlon.Host;
using Biathlon.Host.Audit;
using Biathlon.Host.Security;

// The scoring server. With no verb it serves; the verbs are operator tools that need no server.
switch (args.FirstOrDefault())
{
    case "verify-audit" when args.Length == 2:
        return AuditVerifier.RunCommand(args[1], Console.Out);
    case "hash-key" when args.Length == 2:
        Console.WriteLine(ApiKeyStore.Hash(args[1]));
        return 0;
    case "new-key":
        var key = ApiKeyStore.NewKey();
        Console.WriteLine($"key:    {key}");
        Console.WriteLine($"sha256: {ApiKeyStore.Hash(key)}");
        return 0;
    case StoreLoadCommand.Verb when args.Length > 1 && args[1] is not ("help" or "--help" or "-h"):
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        return await StoreLoadCommand.RunAsync(args[1..], Console.Out, Console.Error, stop.Token);
    }

    case "hash-key" or "verify-audit" or StoreLoadCommand.Verb:
    case "help" or "--help" or "-h":
        Console.WriteLine("""
            Biathlon.Host                      serve (configuration: appsettings.json, environment, --Biathlon:Key=value, --urls)
            Biathlon.Host new-key              print a new API key and the SHA-256 to configure for it
            Biathlon.Host hash-key KEY         print the SHA-256 of KEY, as Biathlon:ApiKeys:n:Sha256 holds it
            Biathlon.Host verify-audit FILE    check an audit log's hash chain and report the first broken record
            Biathlon.Host load-store PIPELINE_FOLDER [--redis CONFIG] [--data DIR] [--key-prefix PREFIX] [--segment-rows N] [--timeout-ms MS]
                                               build the pipeline's "store": "redis" tables from their sources and upload them
                                               (CONFIG default: $BIATHLON_REDIS; PREFIX: the servers' Biathlon:Store:Redis:KeyPrefix,
                                               default biathlon); exit 0 uploaded, 1 the store did not answer, 2 bad input
            """);
        return args[0] is "hash-key" or "verify-audit" or StoreLoadCommand.Verb ? 2 : 0;
}

var app = ScoringServer.Build(args);
await app.RunAsync();
return 0;

/// <summary>Entry point, public so integration tests can host the server in-process.</summary>
public partial class Program;
