using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Engine.Gate;

/// <summary>A performance budget: the answer's size in bytes, and the median time to first byte (ms) of timed requests.</summary>
internal sealed class BudgetCheck : IGateCheck
{
    public string CommandOf(CheckSpec spec) => spec is BudgetCheckSpec b ? $"GET {GateHttp.Describe(b.Endpoint)}" : spec.Type;

    public async Task<string> RunAsync(CheckSpec check, CheckContext context, CancellationToken ct)
    {
        var spec = (BudgetCheckSpec)check;
        var url = await GateHttp.UrlAsync(spec.Endpoint, context, ct);
        var invoker = await GateHttp.InvokerAsync(spec.Endpoint, url, context, ct);
        context.Log($"GET {url}{(invoker is null ? "" : " with the service's invoker ID token")} (budget: {spec.MaxBytes?.ToString(CultureInfo.InvariantCulture) ?? "-"} bytes, {spec.MaxTtfb?.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) ?? "-"} ms to first byte, median of {spec.Samples})");
        // One untimed request first: the first request of a process pays for JIT and the connection pool,
        // which is this tool's cost, not the service's time to first byte.
        using (var warmUp = new HttpRequestMessage(HttpMethod.Get, url))
        {
            GateHttp.Authorize(warmUp, invoker);
            using var ignored = await GateHttp.SendAsync(warmUp, context, ct);
        }

        var times = new List<TimeSpan>(spec.Samples);
        long bytes = 0;
        for (var i = 0; i < spec.Samples; i++)
        {
            var (ttfb, size, status) = await TimeOneAsync(url, invoker, context, ct);
            context.Log(string.Create(CultureInfo.InvariantCulture, $"sample {i + 1}: status {status}, {size} bytes, first byte after {ttfb.TotalMilliseconds:0.0} ms"));
            times.Add(ttfb);
            bytes = Math.Max(bytes, size);
        }

        times.Sort();
        var median = times[times.Count / 2];
        if (spec.MaxBytes is { } maxBytes && bytes > maxBytes)
        {
            throw new CheckFailed($"{url.AbsolutePath} is {bytes} bytes, over the budget of {maxBytes}");
        }

        if (spec.MaxTtfb is { } maxTtfb && median > maxTtfb)
        {
            throw new CheckFailed(string.Create(CultureInfo.InvariantCulture, $"{url.AbsolutePath} took {median.TotalMilliseconds:0} ms to the first byte (median of {times.Count}), over the budget of {maxTtfb.TotalMilliseconds:0} ms"));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes, first byte after {median.TotalMilliseconds:0} ms (median of {times.Count}, max {times[^1].TotalMilliseconds:0} ms){context.Via}");
    }

    private static async Task<(TimeSpan Ttfb, long Bytes, int Status)> TimeOneAsync(Uri url, AuthenticationHeaderValue? invoker, CheckContext context, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        GateHttp.Authorize(request, invoker);
        var watch = Stopwatch.StartNew();
        using var response = await GateHttp.SendAsync(request, context, ct, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[8192];
        var first = await stream.ReadAsync(buffer, ct);
        var ttfb = watch.Elapsed;
        long bytes = first;
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
        {
            bytes += read;
        }

        return (ttfb, bytes, (int)response.StatusCode);
    }
}
