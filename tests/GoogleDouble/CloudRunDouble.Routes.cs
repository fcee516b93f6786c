using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// The deployed services' own URLs, as Cloud Run serves them: a service's URL routes each request to a
/// revision by the traffic split (LATEST meaning the latest ready revision), and a traffic tag's URL
/// (<c>TrafficTargetStatus.uri</c>) reaches only its revision, whatever the split — and answers 404 once the
/// tag is gone. Each is a loopback listener of its own, standing for Cloud Run's host names
/// (<c>SERVICE-….run.app</c>, <c>TAG---SERVICE-….run.app</c>).
/// </summary>
public sealed partial class CloudRunDouble
{
    private readonly ConcurrentDictionary<string, WebApplication> _listeners = new(StringComparer.Ordinal);

    /// <summary>One request a deployed service answered: which revision served it, and through which tag URL (null: the service URL, user traffic).</summary>
    public sealed record ServedRequest(string Service, string Revision, string? Tag, string Path);

    /// <summary>Every request the deployed services answered, in order.</summary>
    public ConcurrentQueue<ServedRequest> Served { get; } = new();

    /// <summary>The revision a request to a deployed service reached (for <see cref="App"/>).</summary>
    public static string RevisionOf(HttpContext context) => (string)context.Items["revision"]!;

    /// <summary>The image the revision that answers a request runs (for <see cref="App"/>).</summary>
    public static string ImageOf(HttpContext context) => (string)context.Items["image"]!;

    /// <summary>Every split the service routed by, in order (revision short names; LATEST resolved).</summary>
    public IReadOnlyList<IReadOnlyList<(string Revision, int Percent)>> TrafficHistory(string service)
    {
        lock (_metrics)
        {
            return [.. _routing.Where(r => r.Key.EndsWith($"/services/{service}", StringComparison.Ordinal)).SelectMany(r => r.Value).Select(h => (IReadOnlyList<(string, int)>)h.Split)];
        }
    }

    /// <summary>Starts the listener that stands for one host name; returns its URL.</summary>
    private string Listen(string key, Func<HttpContext, Task> handler) =>
        _listeners.GetOrAdd(key, _ =>
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.Run(new RequestDelegate(handler));
            app.StartAsync().GetAwaiter().GetResult();
            return app;
        }).Urls.First();

    /// <summary>The service's URL: each request to a revision drawn by the split's weights.</summary>
    private string ServiceUrl(string name) => Listen(name, context => RouteAsync(context, name));

    /// <summary>A request to the service as a whole (its URL, or a domain mapped to it): to a revision drawn by the split's weights.</summary>
    private Task RouteAsync(HttpContext context, string name)
    {
        var statuses = _services[name]["trafficStatuses"]?.AsArray() ?? [];
        var latest = Short(_services[name]["latestReadyRevision"]?.GetValue<string>());
        var split = statuses.Select(t => (Revision: Short(t!["revision"]?.GetValue<string>()) ?? latest, Percent: t["percent"]?.GetValue<int>() ?? 0))
            .Where(t => t.Percent > 0 && t.Revision is not null).ToList();
        var draw = Random.Shared.Next(100);
        var chosen = split.FirstOrDefault(t => (draw -= t.Percent) < 0).Revision;
        return chosen is null
            ? NotServedAsync(context, "Service Unavailable", StatusCodes.Status503ServiceUnavailable)
            : ServeAsync(context, name, chosen, null);
    }

    /// <summary>A tag's URL: only the tagged revision (or, for a LATEST tag, the latest ready one) answers; a removed tag's URL is not found.</summary>
    private string TagUrl(string name, string tag) => Listen($"{name}#{tag}", context =>
    {
        var entry = (_services[name]["trafficStatuses"]?.AsArray() ?? []).FirstOrDefault(t => t!["tag"]?.GetValue<string>() == tag);
        var revision = entry is null ? null : Short(entry["revision"]?.GetValue<string>()) ?? Short(_services[name]["latestReadyRevision"]?.GetValue<string>());
        return revision is null
            ? NotServedAsync(context, "Page not found", StatusCodes.Status404NotFound)
            : ServeAsync(context, name, revision, tag);
    });

    private async Task ServeAsync(HttpContext context, string service, string revision, string? tag)
    {
        var image = _revisions[service].Single(r => Short(r["name"]!.GetValue<string>()) == revision)["containers"]![0]!["image"]!.GetValue<string>();
        context.Items["revision"] = revision;
        context.Items["image"] = image;
        Calls.Enqueue($"app {context.Request.Method} {context.Request.Path}");
        if (!await InvokerAllowedAsync(context))
        {
            return; // refused by Cloud Run's invoker check: the revision never saw it
        }

        Served.Enqueue(new ServedRequest(service.Split('/')[^1], revision, tag, context.Request.Path.Value ?? "/"));
        await (App?.Invoke(context) ?? context.Response.WriteAsync("ok"));
    }

    private static Task NotServedAsync(HttpContext context, string text, int status)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsync(text);
    }

    /// <summary>
    /// Cloud Run's rules for a traffic list's tags: each a DNS label (lower-case letters, digits, hyphens;
    /// a letter first, no hyphen last), used once, and with the service name at most 46 characters (the tag
    /// URL's host label). Returns the refusal, or null.
    /// </summary>
    private static string? TagProblem(string service, JsonArray traffic)
    {
        var tags = traffic.Select(t => t!["tag"]?.GetValue<string>()).OfType<string>().Where(t => t.Length > 0).ToList();
        if (tags.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return $"spec.traffic.tag: tag '{twice.Key}' is used more than once.";
        }

        var bad = tags.FirstOrDefault(t => !System.Text.RegularExpressions.Regex.IsMatch(t, "^[a-z]([-a-z0-9]*[a-z0-9])?$"));
        if (bad is not null)
        {
            return $"spec.traffic.tag: '{bad}' must be lower-case letters, digits and hyphens, start with a letter and not end with a hyphen.";
        }

        var tooLong = tags.FirstOrDefault(t => t.Length + service.Length > 46);
        return tooLong is null ? null
            : $"spec.traffic.tag: traffic tag '{tooLong}' and service name '{service}' together are too long. Combined traffic tag and service name cannot exceed 46 characters.";
    }

    private static string? Short(string? name) => name?.Split('/')[^1];

    private async Task StopListenersAsync()
    {
        foreach (var listener in _listeners.Values)
        {
            await listener.DisposeAsync();
        }
    }
}
