using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Preflight;

/// <summary>How one variable reaches a revision: a literal value, or a reference to a secret (whose value nobody here reads).</summary>
/// <param name="Value">The literal value; null for a secret reference. Compared with conditions, never printed.</param>
/// <param name="SecretRef">The secret it comes from (<c>SECRET:VERSION</c>), or null for a literal.</param>
public sealed record EnvSource(string? Value, string? SecretRef = null)
{
    public static EnvSource Literal(string value) => new(value);

    public static EnvSource FromSecret(string secret) => new(null, secret);

    public bool IsSecret => SecretRef is not null;
}

/// <summary>
/// Which of a target's <see cref="Requirement"/>s the environment a new revision will have leaves unmet. Pure: the
/// platform reads the environment (Cloud Run's service template, the local matrix's <c>env</c>); this judges it.
/// Messages name variables and conditions, never a value.
/// </summary>
public static class RequirementCheck
{
    /// <summary>Every unmet requirement, one line each with its fix, in the order written; empty when all are met.</summary>
    /// <param name="secretsByReference">The platform hands secrets by reference (Cloud Run's Secret Manager): a secret requirement set as a plain value is unmet.</param>
    /// <param name="fix">How a missing variable is set on this platform, for the message (e.g. the gcloud command).</param>
    public static IReadOnlyList<string> Unmet(IReadOnlyList<Requirement> requires, IReadOnlyDictionary<string, EnvSource> env, bool secretsByReference, Func<Requirement, string> fix)
    {
        var problems = new List<string>();
        foreach (var requirement in requires)
        {
            if (Unjudgeable(requirement, env) is { } unknown)
            {
                problems.Add(unknown);
                continue;
            }

            if (!Holds(requirement, env))
            {
                continue;
            }

            var because = requirement.When.Count == 0 ? "" : $" (because {requirement.Condition})";
            if (!env.TryGetValue(requirement.Name, out var source) || source is { Value: "" })
            {
                problems.Add($"required variable {requirement.Name}{because} is not set; {fix(requirement)}");
            }
            else if (requirement.Secret && secretsByReference && !source.IsSecret)
            {
                problems.Add($"required variable {requirement.Name}{because} is a secret but is set as a plain value; {fix(requirement)}");
            }
        }

        return problems;
    }

    /// <summary>Whether the requirement's condition holds (every named variable has one of its values).</summary>
    public static bool Holds(Requirement requirement, IReadOnlyDictionary<string, EnvSource> env) =>
        requirement.When.All(w => env.TryGetValue(w.Key, out var source) && source.Value is { } value && w.Value.Contains(value, StringComparer.Ordinal));

    /// <summary>A condition on a variable that comes from a secret cannot be judged (its value is not read): that is a problem of its own.</summary>
    private static string? Unjudgeable(Requirement requirement, IReadOnlyDictionary<string, EnvSource> env) =>
        requirement.When.Keys.FirstOrDefault(k => env.TryGetValue(k, out var source) && source.IsSecret) is { } secret
            ? $"required variable {requirement.Name} depends on {secret}, which comes from a secret whose value is not read; make {secret} a plain value or drop the condition"
            : null;
}
