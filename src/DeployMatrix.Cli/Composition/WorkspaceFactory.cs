using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.CloudRun.Gcloud;
using DeployMatrix.Core.Model;
using DeployMatrix.Core;
using DeployMatrix.Engine;
using DeployMatrix.Engine.Files;
using DeployMatrix.Engine.Notifications;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Workspaces;
using DeployMatrix.Local;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Cli.Composition;

/// <summary>
/// The composition root: the one place that builds the state store, the platforms, the recorder and the
/// process runner a command's operation runs with. Commands get a <see cref="Workspace"/> and never
/// build these themselves.
/// </summary>
internal static class WorkspaceFactory
{
    /// <summary>The workspace of the matrix the command means (printing its diagnostics and exiting 2 when it is not valid).</summary>
    public static Workspace Open(ParseResult result, CliContext context) => Open(MatrixSource.Load(result, context), result, context);

    /// <param name="actor">Who the audit log and receipts name; the default is the user running the command.</param>
    public static Workspace Open(Matrix matrix, ParseResult result, CliContext context, string? actor = null)
    {
        var paths = LocalPaths.For(matrix.BaseDirectory);
        OpenStateFolder(paths.Root);
        var state = StateSelection.Open(StateSelection.Of(matrix, context.Env), context.Time);
        var processes = new ProcessRunner(context.Time);
        var platforms = new Platforms(matrix.BaseDirectory, paths, state, processes, context);
        var verbose = result.GetValue(context.Options.Verbose);
        // Disposed before the state (it records each delivery there), after waiting a bounded time for what is under way.
        var notify = matrix.Notify.Count == 0 ? null : new NotificationDispatcher(matrix.Notify, state, context.Env, context.Time);
        return new Workspace
        {
            Matrix = matrix,
            State = state,
            Time = context.Time,
            Recorder = new Recorder(state, new ReceiptWriter(paths.Receipts, context.Time), actor ?? Environment.UserName),
            Processes = processes,
            Platforms = platforms,
            Paths = new WorkspacePaths(paths.Root),
            // gcloud's lines as they come: the caller's sink (a build streams its log), else stderr with -v.
            Gcloud = sink => new GcloudStepRunner(new GcloudProcess(processes, matrix.BaseDirectory, context.Env, line =>
            {
                if (sink is not null)
                {
                    sink(UntrustedText.OneLine(line.Text)); // a build's log is anyone's text: no terminal escapes through
                }
                else if (verbose)
                {
                    context.Err.WriteLine($"  gcloud: {UntrustedText.OneLine(line.Text)}");
                }
            }).RunAsync, new GcloudProcess(processes, matrix.BaseDirectory, context.Env).RunAsync),
            PlatformOverride = ExecutionOptions.PlatformOf(result, context),
            LockWait = TimeSpan.FromSeconds(result.GetValue(context.Options.LockWait)),
            Env = context.Env,
            Notify = (INotificationPublisher?)notify ?? NoNotifications.Instance,
            Scratch = new DeployMatrix.Local.Platform.LocalScratchPlatforms(paths, state, context.Time, matrix.BaseDirectory),
            Resources = notify is null ? [platforms] : [notify, platforms],
        };
    }

    /// <summary>Creates .deploymatrix/ owner-only with its .gitignore; one that is a symbolic link is refused (exit 2).</summary>
    public static void OpenStateFolder(string root)
    {
        try
        {
            StateFolder.Ensure(root);
        }
        catch (IOException e)
        {
            throw new OperationException(e.Message, ExitCodes.BadInput);
        }
    }

    /// <summary>
    /// The workspace of a matrix that keeps state already (a shared database always does), or null:
    /// read-only commands never create <c>.deploymatrix/</c>.
    /// </summary>
    public static Workspace? OpenExisting(Matrix matrix, ParseResult result, CliContext context) =>
        StateSelection.Of(matrix, context.Env).SqlitePath is not { } file || File.Exists(file) ? Open(matrix, result, context) : null;

    /// <summary>The process runner commands use outside a workspace (plan's git, the agent's launcher).</summary>
    public static IProcessRunner Processes(CliContext context) => new ProcessRunner(context.Time);
}
