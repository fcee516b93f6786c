using System.Text;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Gate;

/// <summary>What a check may use, and its log: everything written goes through the redactor first.</summary>
internal sealed class CheckContext(Matrix matrix, IPlatform? platform, State.StateStore? state, Redactor redactor, string logPath, PlatformKind? platformOverride)
{
    public State.StateStore? State { get; } = state;

    private readonly StringBuilder _log = new();

    public Matrix Matrix { get; } = matrix;

    public IPlatform? Platform { get; } = platform;

    public Redactor Redactor { get; } = redactor;

    public string LogPath { get; } = logPath;

    public void Log(string line) => _log.Append(Redactor.Apply(line)).Append('\n');

    public void Flush() => File.WriteAllText(LogPath, _log.ToString());

    /// <summary>The lane's target in an environment, on the platform the run uses.</summary>
    public TargetRef TargetOf(string laneName, string env)
    {
        var lane = Matrix.FindLane(laneName)!;
        var target = lane.FindTarget(env)!;
        return new TargetRef(lane.Name, env, platformOverride ?? target.Platform, target.Service, target.Project, target.Region);
    }
}

/// <summary>A check could not run (a missing token, no platform): it is skipped, which a required check turns into a no-go.</summary>
internal sealed class CheckSkipped(string reason) : Exception(reason);

/// <summary>A check ran and did not pass.</summary>
internal sealed class CheckFailed(string reason) : Exception(reason);
