using System.Net.Http.Headers;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Engine.Gate;

/// <summary>An HTTP request to an endpoint: the expected status, a piece of the body, a header; a bearer token from the environment.</summary>
internal sealed class HttpCheck : IGateCheck
{
    public string CommandOf(CheckSpec spec) => spec is HttpCheckSpec h ? $"{h.Method} {GateHttp.Describe(h.Endpoint)}" : spec.Type;

    public async Task<string> RunAsync(CheckSpec check, CheckContext context, CancellationToken ct)
    {
        var spec = (HttpCheckSpec)check;
        var url = await GateHttp.UrlAsync(spec.Endpoint, context, ct);
        var invoker = await GateHttp.InvokerAsync(spec.Endpoint, url, context, ct);
        using var request = new HttpRequestMessage(new HttpMethod(spec.Method), url);
        if (spec.TokenEnv is { } tokenEnv)
        {
            var token = context.Env(tokenEnv);
            if (string.IsNullOrEmpty(token))
            {
                throw new CheckSkipped($"environment variable {tokenEnv} (the bearer token) is not set");
            }

            context.Redactor.Add(token);
            if (Loopback.CleartextProblem(url) is { } cleartext)
            {
                throw new CheckFailed($"the bearer token from ${tokenEnv} was not sent: {cleartext}");
            }

            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            context.Log($"{spec.Method} {url} with a bearer token from ${tokenEnv}{(invoker is null ? "" : $" and the service's invoker ID token in {GateHttp.ServerlessAuthorization}")}");
        }
        else
        {
            context.Log($"{spec.Method} {url}{(invoker is null ? "" : " with the service's invoker ID token")}");
        }

        GateHttp.Authorize(request, invoker);

        using var response = await GateHttp.SendAsync(request, context, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        GateHttp.LogResponse(response, body, context);
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

        return $"{(int)response.StatusCode} from {url.AbsolutePath}{context.Via}";
    }
}
