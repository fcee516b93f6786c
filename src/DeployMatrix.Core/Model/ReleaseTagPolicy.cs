namespace DeployMatrix.Core.Model;

/// <summary>
/// How many releases keep their release tag (<c>dm-TAG</c>, the tag URL a deploy smoke-checks and a person
/// can open): the matrix's <c>release-tags</c>, a lane's over <c>defaults.release-tags</c>. Each tag is one
/// traffic entry of the service on Cloud Run, so older ones are removed after every deploy — never a serving
/// revision's, never a tag the team set (like Argo Rollouts' <c>revisionHistoryLimit</c>).
/// </summary>
public sealed record ReleaseTagPolicy
{
    public static readonly ReleaseTagPolicy Default = new();

    /// <summary>The most releases a matrix may keep tagged: 20, so the service's traffic list stays short.</summary>
    public const int MaxKeep = 20;

    /// <value>The default is 5 releases; 1..<see cref="MaxKeep"/>.</value>
    public int Keep { get; init; } = 5;
}
