using System.Text.RegularExpressions;

namespace DeployMatrix.Core.Naming;

/// <summary>
/// The names DeployMatrix hands to a platform — services, jobs, revisions, regions, project ids, variable
/// names — held to the rules Google Cloud enforces, on both platforms (the local platform rehearses Cloud
/// Run). A bad name is refused where it is written, not by the platform halfway through a change; and a
/// value that is no name cannot become several: a revision <c>a=1,b</c> in a gcloud traffic split names two.
/// </summary>
/// <remarks>
/// Each check returns null for a good name, else one phrase saying the rule and giving an example, for the
/// caller to put after what the value is (<c>service name 'X' must be …</c>).
/// </remarks>
public static partial class ResourceNames
{
    /// <summary>Cloud Run's longest service name: "fewer than 50 characters" (Admin API v2, <c>projects.locations.services.create</c>, <c>serviceId</c>).</summary>
    public const int MaxServiceLength = 49;

    /// <summary>The longest DNS label (RFC 1035), which job and revision names are.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>
    /// A Cloud Run service name: lower-case letters, digits and hyphens, beginning with a letter, not ending
    /// with a hyphen, at most <see cref="MaxServiceLength"/> characters (the service id rule of the Admin API
    /// v2's <c>projects.locations.services.create</c>).
    /// </summary>
    public static string? Service(string name) =>
        Label().IsMatch(name) && name.Length <= MaxServiceLength
            ? null
            : $"must be lower-case letters, digits and hyphens, begin with a letter, not end with a hyphen, and be at most {MaxServiceLength} characters (Cloud Run's service name rule), e.g. api-staging";

    /// <summary>A Cloud Run job name: a DNS label (RFC 1035) — lower-case letters, digits and hyphens, beginning with a letter, not ending with a hyphen, at most 63 characters.</summary>
    public static string? Job(string name) =>
        Label().IsMatch(name) && name.Length <= MaxLabelLength
            ? null
            : $"must be lower-case letters, digits and hyphens, begin with a letter, not end with a hyphen, and be at most {MaxLabelLength} characters (Cloud Run's job name rule), e.g. api-migrate";

    /// <summary>
    /// A domain mapping's host name (Cloud Run v1 <c>DomainMapping.metadata.name</c>): lower-case DNS labels of letters,
    /// digits and hyphens joined by dots, at least two of them, at most 253 characters — no scheme, port or path.
    /// </summary>
    public static string? Domain(string name) =>
        name.Length <= 253 && name.Split('.') is { Length: >= 2 } labels && labels.All(l => l.Length <= MaxLabelLength && HostLabel().IsMatch(l))
            ? null
            : "must be a host name of lower-case letters, digits, hyphens and dots, such as staging.openagents.com (no scheme, port or path)";

    /// <summary>
    /// A revision of <paramref name="service"/>: a DNS label (RFC 1035, at most 63 characters) that begins with
    /// the service's name and a hyphen — Cloud Run names every revision so (<c>gcloud run deploy --revision-suffix</c>:
    /// "revision names always start with the service name"), as the local platform does (<c>SERVICE-00042-abc</c>).
    /// </summary>
    public static string? Revision(string name, string service) =>
        Label().IsMatch(name) && name.Length <= MaxLabelLength && name.StartsWith(service + "-", StringComparison.Ordinal) && name.Length > service.Length + 1
            ? null
            : $"is not a revision of {service}: a revision name is the service's name, a hyphen and a suffix, in lower-case letters, digits and hyphens, ending with a letter or digit, at most {MaxLabelLength} characters, e.g. {service}-00042-abc (see them with: deploymatrix status)";

    /// <summary>
    /// A Google Cloud region as Cloud Run's locations are named: a lower-case area, a hyphen, a lower-case
    /// direction and a number (<c>us-central1</c>, <c>europe-west1</c>, <c>northamerica-northeast2</c>).
    /// </summary>
    public static string? Region(string name) =>
        RegionPattern().IsMatch(name) && name.Length <= 30
            ? null
            : "must be a Google Cloud region such as us-central1 or europe-west1 (lower-case letters, a hyphen, lower-case letters and a number)";

    /// <summary>
    /// A Google Cloud project id (Resource Manager's <c>Project.projectId</c>): 6 to 30 lower-case letters,
    /// digits or hyphens, beginning with a letter, not ending with a hyphen.
    /// </summary>
    public static string? Project(string name) =>
        ProjectPattern().IsMatch(name)
            ? null
            : "must be 6 to 30 lower-case letters, digits or hyphens, begin with a letter and not end with a hyphen (Google Cloud's project id rule), e.g. my-project-1";

    /// <summary>An environment variable's name as a POSIX shell and Cloud Run take it: letters, digits and <c>_</c>, not beginning with a digit.</summary>
    public static string? Variable(string name) =>
        VariablePattern().IsMatch(name)
            ? null
            : "must be letters, digits and '_', not beginning with a digit (an environment variable's name), e.g. RUST_LOG";

    [GeneratedRegex("^[a-z]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex HostLabel();

    [GeneratedRegex("^[a-z]+-[a-z]+[0-9]+$")]
    private static partial Regex RegionPattern();

    [GeneratedRegex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$")]
    private static partial Regex ProjectPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariablePattern();
}
