using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// Cloud Run Admin API v2 on loopback (Kestrel), with the semantics the platform relies on: a patch
/// that changes the template creates a revision, traffic is validated, mutations answer with an
/// operation that finishes after a few polls, and faults (429, 503, 403) can be queued. Every request
/// it receives and every answer it gives is checked against Google's API definitions
/// (<see cref="ProtoCatalog"/>); <see cref="Problems"/> collects what did not match.
/// </summary>
public sealed partial class CloudRunDouble : IAsyncDisposable
{
    public const string Token = "test-access-token";

    // The REST reference documents GET /v2/{name=projects/*/locations/*/operations/*} for Cloud Run's
    // operations; protos.json carries only the generic google.longrunning binding, so this one rule is
    // stated here — its request and answer are still checked against google.longrunning's messages.
    private static readonly HttpRule OperationsGet = new("google.longrunning.Operations.GetOperation", "GET", "/v2/{name=projects/*/locations/*/operations/*}",
        new System.Text.RegularExpressions.Regex("^/v2/projects/[^/:]+/locations/[^/:]+/operations/[^/:]+$"), "google.longrunning.GetOperationRequest", "google.longrunning.Operation", null);

    private readonly WebApplication _app;
    private readonly ProtoCatalog _catalog;
    private readonly ConcurrentDictionary<string, JsonObject> _services = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<JsonObject>> _revisions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (JsonObject Operation, int PollsLeft, Func<JsonObject, JsonObject?> Finish)> _operations = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(HttpStatusCode Status, string Reason)> _faults = new();
    private int _counter;

    private CloudRunDouble(WebApplication app, ProtoCatalog catalog)
    {
        _app = app;
        _catalog = catalog;
    }

    public Uri BaseUri => new(_app.Urls.First() + "/");

    public ConcurrentQueue<string> Problems { get; } = new();

    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>The deployed services' own answers (their uri points at this double); by default every path answers 200 "ok".</summary>
    public Func<HttpContext, Task>? App { get; set; }

    /// <value>The default is 2: an operation is done at its second poll; 0 answers mutations with a finished operation.</value>
    public int PollsPerOperation { get; set; } = 2;

    public static async Task<CloudRunDouble> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new CloudRunDouble(app, ProtoCatalog.Load("run", "monitoring", "cloudbuild", "secretmanager", "artifactregistry", "logging"));
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        return fake;
    }

    /// <summary>A service with one ready revision serving all traffic.</summary>
    public void AddService(string project, string region, string service, string image)
    {
        var name = $"projects/{project}/locations/{region}/services/{service}";
        _services[name] = new JsonObject
        {
            ["name"] = name,
            ["generation"] = "1",
            // Settings a deploy must leave alone: only the image changes.
            ["template"] = new JsonObject
            {
                ["serviceAccount"] = $"{service}@{project}.iam.gserviceaccount.com",
                ["scaling"] = new JsonObject { ["minInstanceCount"] = 1, ["maxInstanceCount"] = 10 },
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["image"] = image,
                    ["env"] = new JsonArray(new JsonObject { ["name"] = "RUST_LOG", ["value"] = "info" }),
                    ["resources"] = new JsonObject { ["limits"] = new JsonObject { ["cpu"] = "1", ["memory"] = "512Mi" } },
                }),
            },
            ["traffic"] = new JsonArray(new JsonObject { ["type"] = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", ["percent"] = 100 }),
        };
        _services[name]["uri"] = ServiceUrl(name); // the service's own requests land on a listener of this double
        _revisions[name] = [];
        Touch(_services[name]);
        CreateRevision(name, _services[name]);
        Settle(name);
    }

    /// <summary>The next <paramref name="times"/> requests fail with this status and Google's error body.</summary>
    public void FailNext(HttpStatusCode status, string reason, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            _faults.Enqueue((status, reason));
        }
    }

    public JsonObject Service(string name) => _services[name];

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path == "/token")
        {
            await TokenAsync(context);
            return;
        }

        if (request.Path.StartsWithSegments("/storage") || request.Path.StartsWithSegments("/upload"))
        {
            await StorageAsync(context);
            return;
        }

        if (request.Path.StartsWithSegments("/apis/domains.cloudrun.com/v1"))
        {
            await DomainMappingAsync(context);
            return;
        }

        if (!request.Path.StartsWithSegments("/v1") && !request.Path.StartsWithSegments("/v2") && !request.Path.StartsWithSegments("/v3"))
        {
            // Not Google's API: a plain web server (200 "ok"), for tests that need one that is not a Cloud
            // Run service (the stand-in gcloud's URLs). Services answer on their own listeners (Routes).
            Calls.Enqueue($"app {request.Method} {request.Path}");
            if (await InvokerAllowedAsync(context))
            {
                await (App?.Invoke(context) ?? context.Response.WriteAsync("ok"));
            }

            return;
        }

        var body = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0
            ? JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync()) : null;
        Calls.Enqueue($"{request.Method} {request.Path}{request.QueryString}");
        var rule = Check(request, body);
        if (request.Headers.Authorization != $"Bearer {Token}")
        {
            await ErrorAsync(context, HttpStatusCode.Unauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
            return;
        }

        if (_faults.TryDequeue(out var fault))
        {
            await ErrorAsync(context, fault.Status, CanonicalStatus(fault.Status), fault.Reason);
            return;
        }

        var path = request.Path.Value!;
        var resource = path["/v2/".Length..]; // (/v1/ and /v3/ are as long)
        var (answer, written) = await AnswerAsync(context, rule, resource, body);
        if (written)
        {
            return;
        }

        if (answer is null)
        {
            await ErrorAsync(context, HttpStatusCode.NotFound, "NOT_FOUND", $"Resource '{resource.Split('/')[^1]}' was not found");
            return;
        }

        var text = answer.ToJsonString();
        using (var document = JsonDocument.Parse(text))
        {
            foreach (var problem in _catalog.Check(rule!.ResponseType, document.RootElement))
            {
                Problems.Enqueue($"answer to {request.Method} {path}: {problem}");
            }
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(text);
    }

    /// <summary>Checks the request against the API definitions and returns the rule it matches.</summary>
    private HttpRule? Check(HttpRequest request, JsonNode? body)
    {
        var path = request.Path.Value!;
        var rule = OperationsGet.Method == request.Method && OperationsGet.Pattern.IsMatch(path) ? OperationsGet : _catalog.Match(request.Method, path);
        if (rule is null)
        {
            Problems.Enqueue($"{request.Method} {path}: no such method and path in the API definitions");
            return null;
        }

        foreach (var key in request.Query.Keys)
        {
            if (!_catalog.HasField(rule.RequestType, key))
            {
                Problems.Enqueue($"{request.Method} {path}: query parameter '{key}' is not a field of {rule.RequestType}");
            }
        }

        if (body is not null)
        {
            var bodyType = rule.Body switch
            {
                null => null,
                "*" => rule.RequestType,
                var field => _catalog.FieldType(rule.RequestType, field),
            };
            if (bodyType is null)
            {
                Problems.Enqueue($"{request.Method} {path}: {rule.Rpc} takes no body");
            }
            else
            {
                using var document = JsonDocument.Parse(body.ToJsonString());
                foreach (var problem in _catalog.Check(bodyType, document.RootElement))
                {
                    Problems.Enqueue($"{request.Method} {path} body: {problem}");
                }
            }
        }

        return rule;
    }

    private JsonObject? Poll(string name)
    {
        AdvanceBuildLog(name);
        if (!_operations.TryGetValue(name, out var entry))
        {
            return null;
        }

        if (entry.PollsLeft > 1)
        {
            _operations[name] = entry with { PollsLeft = entry.PollsLeft - 1 };
            return entry.Operation.DeepClone().AsObject();
        }

        var done = entry.Operation.DeepClone().AsObject();
        done["done"] = true;
        return entry.Finish(done) ?? entry.Operation.DeepClone().AsObject(); // (null: still running)
    }

    /// <summary>An operation on a resource that is done after <see cref="PollsPerOperation"/> polls, finished by <paramref name="finish"/> (null while it still runs).</summary>
    private JsonObject StartOperation(string resource, JsonObject metadata, Func<JsonObject, JsonObject?> finish)
    {
        var parts = resource.Split('/');
        var id = $"projects/{parts[1]}/locations/{parts[3]}/operations/{Guid.NewGuid():N}";
        var operation = new JsonObject { ["name"] = id, ["done"] = false, ["metadata"] = metadata };
        if (PollsPerOperation <= 0)
        {
            // Done at once: for tests of whole commands, where polling is not the subject.
            var now = operation.DeepClone().AsObject();
            now["done"] = true;
            if (finish(now) is { } finished)
            {
                return finished;
            }
        }

        _operations[id] = (operation, PollsPerOperation, finish);
        return operation;
    }

    /// <summary>A message packed as a <c>google.protobuf.Any</c>; a short type name is Cloud Run's.</summary>
    private static JsonObject Packed(JsonObject message, string type)
    {
        var packed = new JsonObject { ["@type"] = $"type.googleapis.com/{(type.Contains('.', StringComparison.Ordinal) ? type : $"google.cloud.run.v2.{type}")}" };
        foreach (var (key, value) in message)
        {
            packed[key] = value?.DeepClone();
        }

        return packed;
    }

    /// <summary>The google.rpc.Code name Google's error body carries for an HTTP status (AIP-193).</summary>
    private static string CanonicalStatus(HttpStatusCode code) => code switch
    {
        HttpStatusCode.TooManyRequests => "RESOURCE_EXHAUSTED",
        HttpStatusCode.ServiceUnavailable => "UNAVAILABLE",
        HttpStatusCode.Forbidden => "PERMISSION_DENIED",
        HttpStatusCode.BadRequest => "INVALID_ARGUMENT",
        _ => "INTERNAL",
    };

    private static async Task ErrorAsync(HttpContext context, HttpStatusCode code, string status, string message)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = (int)code, ["message"] = message, ["status"] = status },
        }.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await StopListenersAsync();
    }
}
