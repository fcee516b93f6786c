using System.Text;

namespace DeployMatrix.Core.Planning;

/// <summary>
/// The traffic tag a deploy gives its new revision, so the revision has a URL of its own before it takes
/// any traffic (Cloud Run's tag URL <c>https://TAG---SERVICE-….run.app</c>; the revision's own port on the
/// local platform). Every tag DeployMatrix creates starts with <see cref="Prefix"/>; tags without it belong
/// to the team (a preview, a QA tag) and are never removed.
/// </summary>
/// <remarks>
/// Cloud Run's rules for a tag (Run Admin API v2, <c>TrafficTarget.tag</c>; enforced by the service): a
/// DNS label — lower-case letters, digits and hyphens, starting with a letter, not ending with a hyphen —
/// and the tag and the service name together at most 46 characters, since they form the tag URL's host label.
/// </remarks>
public static class TrafficTags
{
    /// <summary>What every tag DeployMatrix creates starts with.</summary>
    public const string Prefix = "dm-";

    /// <summary>Cloud Run's limit on a tag's and its service name's lengths together (characters).</summary>
    public const int MaxWithService = 46;

    /// <summary>
    /// The tag for a release of <paramref name="service"/>: <c>dm-</c> and the release tag in lower case,
    /// other characters as hyphens, shortened to fit <see cref="MaxWithService"/>.
    /// </summary>
    /// <remarks>A service name too long for Cloud Run's rule still gets a short tag here; <c>validate</c> refuses such a Cloud Run target (<see cref="Problem"/>).</remarks>
    public static string For(string service, string releaseTag)
    {
        if (releaseTag == Model.Lane.TagPlaceholder)
        {
            return Prefix + releaseTag; // the deploy map's documentation placeholder: dm-<TAG>
        }

        var text = new StringBuilder(Prefix);
        foreach (var c in releaseTag.ToLowerInvariant())
        {
            text.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '-');
        }

        var room = Math.Max(MaxWithService - service.Length, Prefix.Length + 3);
        var tag = text.ToString();
        tag = tag.Length > room ? tag[..room] : tag;
        return tag.TrimEnd('-');
    }

    /// <summary>Whether DeployMatrix created the tag (and may remove it).</summary>
    public static bool IsOurs(string tag) => tag.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Why a service cannot carry release tags (its name leaves fewer than 6 characters for one), or null.</summary>
    public static string? Problem(string service) =>
        MaxWithService - service.Length < Prefix.Length + 3
            ? $"service name '{service}' is {service.Length} characters; Cloud Run allows a traffic tag and its service name {MaxWithService} characters together, leaving no room for the release tag ({Prefix}…) each deploy gives its revision — use a service name of at most {MaxWithService - Prefix.Length - 3} characters"
            : null;
}
