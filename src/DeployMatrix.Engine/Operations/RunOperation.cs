using DeployMatrix.Core;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>
/// <c>run</c>: a binary lane's canonical command in the matrix's folder with its environment; its lines
/// are handed on as they come and its exit code is the command's. Legacy lanes and forbidden commands are
/// refused (78) unless unfrozen with a change ticket, which is audited first.
/// </summary>
public sealed class RunOperation(Workspace ws)
{
    /// <param name="env">Take variables from this environment's target too; null: the lane's only.</param>
    /// <param name="onLine">Each line the command prints, as it arrives.</param>
    /// <returns>The command's exit code.</returns>
    /// <exception cref="OperationException">Bad input (2), frozen (78), or the program cannot be run (1).</exception>
    public async Task<int> RunAsync(string lane, IReadOnlyList<string> args, string? env, string? changeTicket, Action<ProcessLine> onLine, CancellationToken ct)
    {
        var planned = Planner.Plan(ws.Matrix, new PlanRequest { Lane = lane, Environment = env, Action = PlanAction.Run, Args = args, Unfreeze = changeTicket is not null });
        var plan = planned.Plan ?? throw ReleaseRules.Refused(planned);
        var step = (RunBinary)plan.Steps[0];
        if (changeTicket is not null)
        {
            ReleaseRules.RecordUnfreeze(ws, ws.Matrix.FindLane(lane)!, env, changeTicket, $"run {string.Join(' ', step.Command)}");
        }

        try
        {
            // A binary lane runs in the operator's terminal, as the operator's tool: it keeps the operator's
            // environment with the lane's env on top (unlike a revision or job, which the agent starts clean).
            var result = await ws.Processes.RunAsync(new ProcessSpec
            {
                Program = step.Command[0],
                Args = [.. step.Command.Skip(1)],
                WorkingDirectory = ws.Matrix.BaseDirectory,
                Env = step.Env.ToDictionary(p => p.Key, p => (string?)p.Value),
                OnLine = onLine,
                Capture = false,
            }, ct);
            return result.ExitCode;
        }
        catch (ProcessStartException e)
        {
            throw new OperationException($"{e.Message} for lane {lane}", ExitCodes.Failed);
        }
    }
}
