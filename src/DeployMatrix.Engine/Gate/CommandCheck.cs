using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.Engine.Gate;

/// <summary>A command in the matrix's folder (contract tests, a smoke binary): exit 0 passes; bounded by its timeout.</summary>
internal sealed class CommandCheck : IGateCheck
{
    public string CommandOf(CheckSpec spec) => spec is CommandCheckSpec c ? c.Run.Text : spec.Type;

    public async Task<string> RunAsync(CheckSpec check, CheckContext context, CancellationToken ct)
    {
        var spec = (CommandCheckSpec)check;
        var words = spec.Run.Words;
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (spec.Service is { } service)
        {
            // A smoke binary gets the service's URL as the seed's runtime smoke does (SMOKE_BASE_URL): its domain once
            // the mapping is ready, a pinned revision's own URL at a canary's 0% stage, else the service's.
            var address = await GateHttp.AddressAsync(service.Lane, service.Env, service.Region, context, ct);
            env[spec.UrlEnv] = address.Base.GetLeftPart(UriPartial.Authority);
            context.Log($"{spec.UrlEnv}={env[spec.UrlEnv]}{context.Via}");
        }

        context.Log($"$ {spec.Run.Text}");
        ProcessResult result;
        try
        {
            // A gate command is the operator's own tool (contract tests, smoke binaries): it keeps the operator's environment.
            result = await context.Processes.RunAsync(new ProcessSpec
            {
                Program = words[0],
                Args = [.. words.Skip(1)],
                WorkingDirectory = context.Matrix.BaseDirectory,
                Env = env,
                Timeout = spec.Timeout,
                OnLine = line => context.Log("  " + line.Text), // indented, as an answer's body: output cannot forge the verdict line
                Capture = false,
            }, ct);
        }
        catch (ProcessStartException e)
        {
            throw new CheckSkipped(e.Message);
        }

        if (result.TimedOut)
        {
            throw new CheckFailed(string.Create(CultureInfo.InvariantCulture, $"'{spec.Run.Text}' did not finish within {spec.Timeout.TotalSeconds:0} s"));
        }

        return result.ExitCode == 0 ? $"exit 0{context.Via}" : throw new CheckFailed($"'{spec.Run.Text}' exited with {result.ExitCode}{context.Via}");
    }
}
