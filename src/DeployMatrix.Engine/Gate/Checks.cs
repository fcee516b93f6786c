using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using DeployMatrix.Core.Guard;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Drift;

namespace DeployMatrix.Engine.Gate;

/// <summary>How each check type runs. Each returns its passing detail, or throws <see cref="CheckFailed"/> / <see cref="CheckSkipped"/>.</summary>
internal static class Checks
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public static string CommandOf(GateCheck check, CheckContext context) => check.Spec switch
    {
        HttpCheckSpec h => $"{h.Method} {Describe(h.Endpoint)}",
        BudgetCheckSpec b => $"GET {Describe(b.Endpoint)}",
        CommandCheckSpec c => c.Run.Text,
        LaneCheckSpec l when l.CheckType == LaneCheckSpec.Drift => $"deploymatrix migrate {l.Lane} --env {l.Env} (drift check)",
        LaneCheckSpec l => $"deploymatrix status {l.Lane} --env {l.Env}",
        GuardCheckSpec g => $"deploymatrix guard {g.Dir}",
        _ => check.Spec.Type,
    };

    public static Task<string> RunAsync(GateCheck check, CheckContext context, CancellationToken ct) => check.Spec switch
    {
        HttpCheckSpec h => HttpAsync(h, context, ct),
        BudgetCheckSpec b => BudgetAsync(b, context, ct),
        CommandCheckSpec c => CommandAsync(c, context, ct),
        LaneCheckSpec { CheckType: LaneCheckSpec.Drift } d => DriftAsync(d, context, ct),
        LaneCheckSpec l => Task.FromResult(CanaryStatus(l, context)),
        GuardCheckSpec g => Task.FromResult(Guard(g, context)),
        _ => throw new CheckSkipped($"unknown check type {check.Spec.Type}"),
    };

    private static async Task<Uri> UrlAsync(HttpEndpoint endpoint, CheckContext context, CancellationToken ct)
    {
        if (endpoint.Url is { } url)
        {
            return new Uri(url);
        }

        if (context.Platform is null)
        {
            throw new CheckSkipped($"no platform to find {endpoint.Lane} ({endpoint.Env}) on");
        }

        var target = context.TargetOf(endpoint.Lane!, endpoint.Env!);
        try
        {
            return new Uri(await context.Platform.UrlAsync(target, null, ct), endpoint.Path);
        }
        catch (Platform.PlatformException e)
        {
            throw new CheckSkipped($"cannot reach {endpoint.Lane} ({endpoint.Env}): {e.Message}");
        }
    }

    private static async Task<string> HttpAsync(HttpCheckSpec spec, CheckContext context, CancellationToken ct)
    {
        var url = await UrlAsync(spec.Endpoint, context, ct);
        using var request = new HttpRequestMessage(new HttpMethod(spec.Method), url);
        if (spec.TokenEnv is { } tokenEnv)
        {
            var token = Environment.GetEnvironmentVariable(tokenEnv);
            if (string.IsNullOrEmpty(token))
            {
                throw new CheckSkipped($"environment variable {tokenEnv} (the bearer token) is not set");
            }

            context.Redactor.Add(token);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            context.Log($"{spec.Method} {url} with a bearer token from ${tokenEnv}");
        }
        else
        {
            context.Log($"{spec.Method} {url}");
        }

        using var response = await Send(request, context, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        LogResponse(response, body, context);
        if ((int)response.StatusCode != spec.Expect)
        {
            throw new CheckFailed($"{url.AbsolutePath} answered {(int)response.StatusCode}, expected {spec.Expect}");
        }

        if (spec.Contains is { } contains && !body.Contains(contains, StringComparison.Ordinal))
        {
            throw new CheckFailed($"{url.AbsolutePath} answered without '{contains}'");
        }

        if (spec.Header is { } header)
        {
            var name = header[..header.IndexOf(':', StringComparison.Ordinal)].Trim();
            var value = header[(header.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            var actual = response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
                ? string.Join(", ", values)
                : null;
            if (actual is null || !actual.Contains(value, StringComparison.OrdinalIgnoreCase))
            {
                throw new CheckFailed($"{url.AbsolutePath} header {name} is '{actual ?? "(missing)"}', expected it to contain '{value}'");
            }
        }

        return $"{(int)response.StatusCode} from {url.AbsolutePath}";
    }

    private static async Task<string> BudgetAsync(BudgetCheckSpec spec, CheckContext context, CancellationToken ct)
    {
        var url = await UrlAsync(spec.Endpoint, context, ct);
        context.Log($"GET {url} (budget: {spec.MaxBytes?.ToString(CultureInfo.InvariantCulture) ?? "-"} bytes, {spec.MaxTtfb?.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) ?? "-"} ms to first byte, median of {spec.Samples})");
        // One untimed request first: the first request of a process pays for JIT and the connection pool,
        // which is this tool's cost, not the service's time to first byte.
        using (var warmUp = new HttpRequestMessage(HttpMethod.Get, url))
        using (var ignored = await Send(warmUp, context, ct))
        {
        }

        var times = new List<TimeSpan>(spec.Samples);
        long bytes = 0;
        for (var i = 0; i < spec.Samples; i++)
        {
            var (ttfb, size, status) = await TimeOneAsync(url, context, ct);
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

        return string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes, first byte after {median.TotalMilliseconds:0} ms (median of {times.Count}, max {times[^1].TotalMilliseconds:0} ms)");
    }

    private static async Task<(TimeSpan Ttfb, long Bytes, int Status)> TimeOneAsync(Uri url, CheckContext context, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var watch = Stopwatch.StartNew();
        using var response = await Send(request, context, ct, HttpCompletionOption.ResponseHeadersRead);
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

    private static async Task<string> CommandAsync(CommandCheckSpec spec, CheckContext context, CancellationToken ct)
    {
        var words = spec.Run.Words;
        var start = new ProcessStartInfo(words[0]) { WorkingDirectory = context.Matrix.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in words.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        context.Log($"$ {spec.Run.Text}");
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CheckSkipped($"cannot run '{words[0]}': {e.Message}");
        }

        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(spec.Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new CheckFailed($"'{spec.Run.Text}' did not finish within {spec.Timeout.TotalSeconds:0} s");
        }

        context.Log(await output);
        context.Log(await errors);
        return process.ExitCode == 0 ? "exit 0" : throw new CheckFailed($"'{spec.Run.Text}' exited with {process.ExitCode}");
    }

    private static async Task<string> DriftAsync(LaneCheckSpec spec, CheckContext context, CancellationToken ct)
    {
        if (context.Platform is null)
        {
            throw new CheckSkipped("no platform to check drift on");
        }

        var lane = context.Matrix.FindLane(spec.Lane)!;
        var target = context.TargetOf(spec.Lane, spec.Env);
        var job = lane.Migration!.JobFor(lane.FindTarget(spec.Env)!)!;
        var service = await context.Platform.GetServiceAsync(target, ct);
        if (service.Image is null)
        {
            throw new CheckFailed($"{target.Service} has no image in {spec.Env}; deploy it first");
        }

        var report = await DriftCheck.RunAsync(context.Platform, target, job, service.Image, ct);
        context.Log($"service image {report.ServiceImage}; job image {report.JobImage}; latest execution {report.LatestExecution} ({report.LatestExecutionImage}, succeeded: {report.LatestExecutionSucceeded})");
        return report.Ok ? "service, job and latest execution run the same image" : throw new CheckFailed($"drift: {report.Problem}");
    }

    /// <summary>The latest rollout of the lane in the environment must have succeeded (none at all passes): failed, aborted, held, paused or still running is no-go.</summary>
    private static string CanaryStatus(LaneCheckSpec spec, CheckContext context)
    {
        if (context.State is null)
        {
            throw new CheckSkipped("no state store to read rollouts from");
        }

        var latest = context.State.LatestRollout(spec.Lane, spec.Env);
        context.Log(latest is null
            ? $"no rollout of {spec.Lane} in {spec.Env} recorded"
            : $"latest rollout #{latest.Id}: {latest.Stable} → {latest.Canary}, {latest.Shown} at {latest.Stage}% ({latest.Reason}), updated {latest.UpdatedAt}");
        return latest?.Status switch
        {
            null => $"no rollout of {spec.Lane} in {spec.Env} yet",
            State.RolloutStatus.Succeeded => $"latest rollout succeeded at {latest.Stage}%",
            _ => throw new CheckFailed($"the latest rollout of {spec.Lane} in {spec.Env} is {latest.Shown} at {latest.Stage}%{(latest.Reason is null ? "" : $": {latest.Reason}")}"),
        };
    }

    private static string Guard(GuardCheckSpec spec, CheckContext context)
    {
        var root = Path.GetFullPath(Path.Combine(context.Matrix.BaseDirectory, spec.Dir));
        var findings = RepositoryGuard.Scan(context.Matrix, root);
        foreach (var finding in findings)
        {
            context.Log(finding.ToString());
        }

        return findings.Count == 0 ? "no findings" : throw new CheckFailed($"{findings.Count} legacy finding{(findings.Count == 1 ? "" : "s")}, first: {findings[0]}");
    }

    private static async Task<HttpResponseMessage> Send(HttpRequestMessage request, CheckContext context, CancellationToken ct, HttpCompletionOption option = HttpCompletionOption.ResponseContentRead)
    {
        try
        {
            return await Http.SendAsync(request, option, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CheckFailed($"{request.RequestUri} did not answer: {context.Redactor.Apply(e.Message)}");
        }
    }

    private static void LogResponse(HttpResponseMessage response, string body, CheckContext context)
    {
        context.Log($"HTTP {(int)response.StatusCode}");
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            context.Log($"{name}: {string.Join(", ", values)}");
        }

        context.Log("");
        context.Log(body.Length > 4000 ? body[..4000] + "\n…" : body);
    }

    private static string Describe(HttpEndpoint endpoint) => endpoint.Url ?? $"{endpoint.Lane} ({endpoint.Env}) {endpoint.Path}";
}
