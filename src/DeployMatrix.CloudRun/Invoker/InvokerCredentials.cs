using System.Collections.Concurrent;
using System.Net.Http.Headers;
using DeployMatrix.CloudRun.Api;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Invoker;

/// <summary>
/// What DeployMatrix's own requests to a Cloud Run service (smoke checks, the gate's checks of a lane) must
/// carry, decided the way Cloud Run decides who may invoke a service:
/// <list type="bullet">
/// <item>Anyone, when its invoker IAM check is off (<c>Service.invokerIamDisabled</c>, <c>--no-invoker-iam-check</c>)
/// or its IAM policy grants <c>roles/run.invoker</c> to <c>allUsers</c>
/// (https://cloud.google.com/run/docs/authenticating/public). Then nothing is sent.</item>
/// <item>Otherwise only a caller holding <c>roles/run.invoker</c> that presents a Google-signed ID token whose
/// audience (<c>aud</c>) is the service's URL (https://cloud.google.com/run/docs/authenticating/service-to-service).</item>
/// </list>
/// The audience is <c>Service.uri</c> whichever of the service's URLs is called: the Google-generated URL
/// "always remains an accepted audience value", and audiences are set per service, for all its revisions
/// (https://cloud.google.com/run/docs/configuring/custom-audiences) — so a tag URL takes the service's token.
/// Tokens are minted from the platform's own credentials and kept per audience until
/// <see cref="RefreshBefore"/> before they expire, on the injected clock.
/// </summary>
public sealed class InvokerCredentials(RunApi run, IIdTokenSource idTokens, TimeProvider time)
{
    /// <summary>The role a caller needs on a service that requires authentication.</summary>
    public const string InvokerRole = "roles/run.invoker";

    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Until)> _tokens = new(StringComparer.Ordinal);

    /// <value>The default is 5 minutes: a token is minted again once less than this is left of its life (Google's libraries refresh as early).</value>
    public TimeSpan RefreshBefore { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The <c>Authorization</c> value for a request to <paramref name="url"/> of <paramref name="service"/>, or null when the service lets anyone in.</summary>
    /// <exception cref="PlatformException">
    /// The service requires authentication and these credentials cannot mint an ID token (the message names
    /// the fix); or <paramref name="url"/> is not one of the service's URLs, or is plain http off this machine.
    /// </exception>
    public async Task<AuthenticationHeaderValue?> ForAsync(RunService service, Uri url, CancellationToken ct)
    {
        var name = service.Name?.Split('/')[^1] ?? "the service";
        if (service.InvokerIamDisabled == true || LetsEveryoneIn(await run.GetServiceIamPolicyAsync(service.Name!, ct)))
        {
            return null;
        }

        var audience = service.Uri ?? throw new PlatformException($"Cloud Run service {name} has no URL yet");
        if (!ServedAt(service, url))
        {
            throw new PlatformException($"{url.GetLeftPart(UriPartial.Authority)} is not a URL of Cloud Run service {name}; its ID token is sent to the service only");
        }

        if (Loopback.CleartextProblem(url) is { } cleartext)
        {
            throw new PlatformException($"the ID token for Cloud Run service {name} was not sent: {cleartext}");
        }

        return new AuthenticationHeaderValue("Bearer", await TokenAsync(name, audience, ct));
    }

    /// <summary>Whether the policy lets every caller in: <c>roles/run.invoker</c> granted to <c>allUsers</c> without a condition.</summary>
    internal static bool LetsEveryoneIn(IamPolicy policy) =>
        policy.Bindings?.Any(b => b.Role == InvokerRole && b.Condition is null && b.Members?.Contains("allUsers") == true) == true;

    /// <summary>Whether <paramref name="url"/> is on one of the service's URLs: its URL, its other URLs, a traffic tag's URL.</summary>
    private static bool ServedAt(RunService service, Uri url) =>
        new[] { service.Uri }.Concat(service.Urls ?? []).Concat(service.TrafficStatuses?.Select(t => t.Uri) ?? [])
            .Any(u => Uri.TryCreate(u, UriKind.Absolute, out var served)
                && string.Equals(served.GetLeftPart(UriPartial.Authority), url.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase));

    private async Task<string> TokenAsync(string service, string audience, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_tokens.TryGetValue(audience, out var kept) && now < kept.Until)
        {
            return kept.Token;
        }

        IdToken minted;
        try
        {
            minted = await idTokens.GetIdTokenAsync(audience, ct);
        }
        catch (IdTokensUnavailableException e)
        {
            throw new PlatformException(
                $"Cloud Run service {service} requires authentication (no {InvokerRole} for allUsers), and {e.Credentials} cannot mint the ID token it takes; "
                + $"use a service account that holds {InvokerRole} on it: a key or an impersonation file in GOOGLE_APPLICATION_CREDENTIALS "
                + "(gcloud auth application-default login --impersonate-service-account=SA_EMAIL), or the attached service account on Google Cloud");
        }

        _tokens[audience] = (minted.Value, minted.Expires - RefreshBefore);
        return minted.Value;
    }
}
