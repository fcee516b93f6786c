using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core;
using DeployMatrix.Engine.Operations;
using DeployMatrix.State;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix notify deliveries|test</c>: what the matrix's channels were sent, and a test event to check one.</summary>
internal static class NotifyCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("notify", "The notify: channels: list the deliveries made (how each ended, never a URL or key), or send a test event to check a channel's URL and key.");
        command.Subcommands.Add(Deliveries(context));
        command.Subcommands.Add(Test(context));
        return command;
    }

    private static Command Deliveries(CliContext context)
    {
        var channel = new Option<string?>("--channel") { Description = "Only this channel's deliveries (its name in notify:).", HelpName = "CHANNEL" };
        var limit = new Option<int>("--limit", "-n") { Description = "How many of the newest deliveries to show (default 50).", HelpName = "N", DefaultValueFactory = _ => 50 };
        var command = new Command("deliveries", "List the newest deliveries, oldest of them first: when, the event, lane and environment, the channel, how it ended (delivered, failed, skipped when its URL's variable is unset, dropped when its queue was full), the attempts made and the last HTTP status.");
        command.Options.Add(channel);
        command.Options.Add(limit);
        command.SetAction(result =>
        {
            using var ws = WorkspaceFactory.Open(result, context);
            var deliveries = new NotifyOperation(ws).Deliveries(result.GetValue(limit), result.GetValue(channel)).Reverse().ToList();
            if (context.Options.Json(result))
            {
                Json.Write(context.Out, "notify", new { Command = "deliveries", Deliveries = deliveries.Select(Document) });
                return ExitCodes.Ok;
            }

            if (deliveries.Count == 0)
            {
                context.Out.WriteLine(ws.Matrix.Notify.Count == 0 ? "no deliveries yet (the matrix has no notify: section)" : "no deliveries yet");
            }

            deliveries.ForEach(d => context.Out.WriteLine(Line(d)));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Test(CliContext context)
    {
        var channel = new Argument<string?>("CHANNEL") { Description = "The channel to test (its name in notify:); default: every channel.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("test", "Send a 'test' event to a channel (default: every channel), whatever its event and lane filters, and wait for each delivery (retries included, at most 20 s); exit 1 unless every one was delivered. The URL and key are read from their variables as for any event, and never printed.");
        command.Arguments.Add(channel);
        command.SetAction(async (result, ct) =>
        {
            using var ws = WorkspaceFactory.Open(result, context);
            var deliveries = await new NotifyOperation(ws).TestAsync(result.GetValue(channel));
            var ok = deliveries.All(d => d.Status == "delivered");
            if (context.Options.Json(result))
            {
                Json.Write(context.Out, "notify", new { Command = "test", Deliveries = deliveries.Select(Document), Ok = ok });
            }
            else
            {
                foreach (var d in deliveries)
                {
                    context.Out.WriteLine(Line(d));
                }

                context.Out.WriteLine(Summary(deliveries));
            }

            return ok ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    /// <summary>A delivery in the matrix's words (environment, not the store's env).</summary>
    private static object Document(DeliveryRecord d) => new
    {
        d.Id, d.At, d.Event, d.Lane, Environment = d.Env, d.Channel, d.Kind, d.Status, d.Attempts, d.HttpStatus, d.Detail,
    };

    /// <summary>The verdict under the list, as every other command ends: which channels did not take the test.</summary>
    private static string Summary(IReadOnlyList<DeliveryRecord> deliveries)
    {
        var missed = deliveries.Where(d => d.Status != "delivered").Select(d => d.Channel).ToList();
        var channels = deliveries.Count == 1 ? "1 channel" : string.Create(CultureInfo.InvariantCulture, $"{deliveries.Count} channels");
        return missed.Count == 0
            ? $"ok: the test event was delivered to {channels}"
            : string.Create(CultureInfo.InvariantCulture, $"failed: {missed.Count} of {channels} did not take the test event: {string.Join(", ", missed)}");
    }

    private static string Line(DeliveryRecord d)
    {
        var about = string.Join(", ", new[] { d.Lane, d.Env }.Where(w => w is not null));
        var http = d.HttpStatus is { } status ? string.Create(CultureInfo.InvariantCulture, $", HTTP {status}") : "";
        var attempts = d.Attempts == 1 ? "1 attempt" : string.Create(CultureInfo.InvariantCulture, $"{d.Attempts} attempts");
        return $"{d.At}  {d.Event}{(about.Length == 0 ? "" : $" ({about})")} → {d.Channel} ({d.Kind}): {d.Status}, {attempts}{http}{(d.Detail is null ? "" : $" — {d.Detail}")}";
    }
}
