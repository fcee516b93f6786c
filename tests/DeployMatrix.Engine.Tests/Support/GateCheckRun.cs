using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.Engine.Tests.Support;

/// <summary>Runs one gate check as the gate does, on the harness's matrix and platform, and writes its log.</summary>
internal static class GateCheckRun
{
    /// <param name="resolve">Where a lane endpoint's lane runs (null: checks with lane endpoints are not expected).</param>
    public static async Task<string> RunAsync(EngineHarness h, CheckSpec spec, IReadOnlyDictionary<string, string> env, Redactor redactor, string log, Func<string, string, string?, ResolvedTarget>? resolve = null)
    {
        var services = new GateServices(h.LoadedMatrix, h.Platform, resolve ?? ((_, _, _) => throw new InvalidOperationException("no lane endpoints here")), (_, _) => null,
            new ProcessRunner(TimeProvider.System), name => env.GetValueOrDefault(name), redactor, (_, _) => null);
        var context = new CheckContext(services, log);
        try
        {
            return await GateChecks.For(spec).RunAsync(spec, context, CancellationToken.None);
        }
        finally
        {
            context.Flush();
        }
    }
}
