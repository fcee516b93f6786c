using System.CommandLine;

namespace DeployMatrix.Cli.Common;

/// <summary>The explicit, audited way past the legacy freeze: both flags or neither.</summary>
internal sealed class FreezeOptions
{
    public Option<bool> Unfreeze { get; } = new("--unfreeze") { Description = "Allow a frozen legacy lane or forbidden command; needs --change-ticket, and is audited." };

    public Option<string?> ChangeTicket { get; } = new("--change-ticket") { Description = "The change ticket that authorizes --unfreeze (recorded in the audit log).", HelpName = "ID" };

    public void AddTo(Command command)
    {
        command.Options.Add(Unfreeze);
        command.Options.Add(ChangeTicket);
    }

    /// <summary>The ticket when unfreezing, null when not; a flag without the other is a usage error.</summary>
    public string? Ticket(ParseResult result) => (result.GetValue(Unfreeze), result.GetValue(ChangeTicket)) switch
    {
        (false, null) => null,
        (true, { Length: > 0 } ticket) => ticket,
        (true, _) => throw new UsageException("--unfreeze needs --change-ticket ID: unfreezing a legacy lane or command is audited against a ticket"),
        (false, _) => throw new UsageException("--change-ticket goes with --unfreeze"),
    };
}
