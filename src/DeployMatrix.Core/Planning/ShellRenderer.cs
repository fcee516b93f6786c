using System.Text;
using System.Text.RegularExpressions;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Core.Planning;

/// <summary>
/// Prints a plan as the commands its executor runs, one per line, quoted for a POSIX shell. Steps that
/// run natively (HTTP checks, receipts, the local agent) appear as comments saying what happens.
/// </summary>
public static partial class ShellRenderer
{
    public static string Render(Plan plan, bool keepPlaceholders = false)
    {
        var text = new StringBuilder();
        var urlsRead = new HashSet<string>(StringComparer.Ordinal);
        var rolesRead = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in plan.Steps)
        {
            // The URL (the new revision's tag URL, or the service's) is read once per plan, by its first smoke check (as the gcloud executor does).
            IEnumerable<string> lines = step is RunSmokeCheck smoke && GcloudCommands.For(smoke).Count > 0 && !urlsRead.Add($"{smoke.Target.Service}#{smoke.TrafficTag}")
                ? [UntrustedText.ShellComment($"GET $URL{smoke.Path} (done natively), expecting {smoke.Expect}")]
                : Lines(step, keepPlaceholders);
            // STABLE and CANARY are read once, when a rollout starts, and keep their meaning through its stages.
            if (step is SetTraffic traffic && NamesRoles(traffic) && !rolesRead.Add(traffic.Target.Service))
            {
                lines = lines.Skip(1);
            }

            foreach (var line in lines)
            {
                text.Append(line).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>The lines for one step: its commands, or a comment when it runs natively.</summary>
    public static IReadOnlyList<string> Lines(Step step, bool keepPlaceholders = false)
    {
        if (step is RunVerifyCheck verify)
        {
            // A command check is the command itself (run from the matrix's folder); other kinds are requests made natively.
            return verify.Run is { } run
                ? [UntrustedText.ShellComment($"{step.Describe()}; it must pass before anything changes"), Join(run, keepPlaceholders)]
                : [UntrustedText.ShellComment($"{step.Describe()} (done natively); it must pass before anything changes")];
        }

        if (IsLocal(step))
        {
            return step is BuildArtifact b ? [Join(b.Command, keepPlaceholders)] : [UntrustedText.ShellComment(step.Describe())];
        }

        var commands = GcloudCommands.For(step);
        if (step is CheckPermissions permissions)
        {
            return [UntrustedText.ShellComment($"{step.Describe()}: POST https://run.googleapis.com/v2/{PermissionsResource(permissions)} (done natively: gcloud has no command for it)")];
        }

        if (commands.Count == 0)
        {
            return [UntrustedText.ShellComment(step.Describe())];
        }

        var lines = commands.Select(c => Join(c, keepPlaceholders)).ToList();
        switch (step)
        {
            case ResolveServiceImage:
                lines[0] = $"IMAGE=$({lines[0]})";
                break;
            case RunSmokeCheck smoke:
                lines[0] = $"URL=$({lines[0]})";
                lines.Add(UntrustedText.ShellComment($"  then GET $URL{smoke.Path} (done natively), expecting {smoke.Expect}{(smoke.Contains is null ? "" : $" and '{smoke.Contains}' in the body")}"));
                break;
            case VerifyServiceImage service:
                lines.Add(UntrustedText.ShellComment($"  must print {service.Image}"));
                break;
            case VerifyJobImage job:
                lines.Add(UntrustedText.ShellComment($"  must print {job.Image}"));
                break;
            case CheckService:
                lines.Add(UntrustedText.ShellComment("  must print the service's name (it fails when there is no such service)"));
                break;
            case CheckRequirements requires:
                lines.Add(UntrustedText.ShellComment($"  spec.template.spec.containers[0].env must hold: {string.Join(", ", requires.Requires.Select(r => r.Describe()))}"));
                break;
            case CheckDrift:
                lines.Insert(0, UntrustedText.ShellComment(step.Describe()));
                break;
            case RemoveTrafficTags tidy:
                lines.Insert(0, UntrustedText.ShellComment($"OLD_TAGS: the {TrafficTags.Prefix}… tags beyond the newest {tidy.Keep} releases that serve no traffic, read first with: {Join(GcloudCommands.Resolve(tidy))}; nothing runs when there are none"));
                break;
            case SetTraffic traffic when GcloudCommands.Resolve(traffic) is { } resolve && traffic.Splits.All(t => t.Revision.Role == RevisionRole.New):
                lines.Insert(0, UntrustedText.ShellComment($"the split serving before (the revision a rollback returns to) is read first with: {Join(resolve)}"));
                break;
            case SetTraffic traffic when NamesRoles(traffic) && GcloudCommands.Resolve(traffic) is { } resolve:
                lines.Insert(0, UntrustedText.ShellComment($"STABLE (the stable revision: the one that served all traffic before the latest change, else the one with most traffic now) and CANARY (latest ready) are read first with: {Join(resolve)}"));
                break;
        }

        return lines;
    }

    private static string PermissionsResource(CheckPermissions step) =>
        $"projects/{step.Target.Project}/locations/{step.Target.Region}/services/{step.Target.Service}:testIamPermissions{(step.Job is null ? "" : $" and …/jobs/{step.Job}:testIamPermissions")}";

    public static string Join(IEnumerable<string> words, bool keepPlaceholders = false) =>
        string.Join(' ', words.Select(w => Quote(w, keepPlaceholders)));

    private static string Quote(string word, bool keepPlaceholders)
    {
        if (word == ImageRefs.ServiceCurrent)
        {
            return "\"$IMAGE\"";
        }

        return keepPlaceholders && PlaceholderWord().IsMatch(word) ? word : CommandWords.Quote(word);
    }

    /// <summary>Whether the step's split names STABLE or CANARY, which are read from the service before it runs.</summary>
    private static bool NamesRoles(SetTraffic step) => step.Splits.Any(s => s.Revision.Role is RevisionRole.Stable or RevisionRole.Canary);

    private static bool IsLocal(Step step) => step is BuildArtifact or TargetStep { Target.Platform: PlatformKind.Local };

    /// <summary>A word with a documentation placeholder such as &lt;TAG&gt; that a reader substitutes.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9_./:=,@%+-]*<[A-Za-z]+>[A-Za-z0-9_./:=,@%+-]*$")]
    private static partial Regex PlaceholderWord();
}
