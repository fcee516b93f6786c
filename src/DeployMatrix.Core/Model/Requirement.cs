using System.Text.Json.Serialization;
using DeployMatrix.Core.Diagnostics;

namespace DeployMatrix.Core.Model;

/// <summary>
/// An environment variable the service must have when a revision starts (<c>requires:</c> of a lane or target),
/// checked before a deploy changes anything — the seed's staging runbook's "required env and secrets are present,
/// some only under a condition".
/// </summary>
public sealed record Requirement
{
    /// <summary>The variable's name (letters, digits and '_', not starting with a digit).</summary>
    public required string Name { get; init; }

    /// <summary>
    /// It holds a secret: on Cloud Run it must come from Secret Manager (<c>valueSource.secretKeyRef</c>), so the value
    /// never sits in the service's configuration; on the local platform the matrix's <c>env</c> gives it.
    /// </summary>
    /// <value>The default is false.</value>
    public bool Secret { get; init; }

    /// <summary>
    /// Required only when every variable named here has one of its values in the new revision's environment
    /// (<c>when: { OA_AUTH_PROVIDER_MODE: workos }</c>); empty: always required.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> When { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    [JsonIgnore]
    public SourcePos Pos { get; init; }

    /// <summary>The condition as people read it: <c>OA_AUTH_PROVIDER_MODE=workos</c>, alternatives joined by '|', conditions by ' and '.</summary>
    [JsonIgnore]
    public string Condition => string.Join(" and ", When.Select(w => $"{w.Key}={string.Join('|', w.Value)}"));

    /// <summary>One line for plans and the deploy map: <c>WORKOS_API_KEY (secret) when OA_AUTH_PROVIDER_MODE=workos</c>.</summary>
    public string Describe() => $"{Name}{(Secret ? " (secret)" : "")}{(When.Count == 0 ? "" : $" when {Condition}")}";
}
