using DeployMatrix.Engine.Files;
using DeployMatrix.Local.Agent;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Agent;

/// <summary>What a running agent leaves on disk: agent.json (its bearer token) never written through a planted link, in an owner-only folder.</summary>
public sealed class AgentFilesTests
{
    [Fact]
    public async Task AgentJson_IsNotWrittenThroughALinkPlantedAtItsOldTemporaryName_AndTheStateFolderIsOwnerOnly()
    {
        using var dir = new TempDir();
        var paths = new LocalPaths(Path.Combine(dir.Path, ".deploymatrix"));
        Directory.CreateDirectory(paths.Root);
        var victim = dir.Write("victim.txt", "victim");
        File.CreateSymbolicLink(paths.AgentJson + ".tmp", victim);
        File.CreateSymbolicLink(paths.AgentPid, victim);
        using var stop = new CancellationTokenSource();

        var agent = Task.Run(() => AgentServer.RunAsync(paths, StateLocation.Sqlite(paths.StateDb), new AgentOptions(), TimeProvider.System, stop.Token));
        try
        {
            for (var waited = 0; !File.Exists(paths.AgentJson) && waited < 200 && !agent.IsCompleted; waited++)
            {
                await Task.Delay(50);
            }

            Assert.True(File.Exists(paths.AgentJson), "the agent never wrote agent.json");
            Assert.Equal("victim", File.ReadAllText(victim));
            Assert.Null(new FileInfo(paths.AgentJson).LinkTarget);
            Assert.Null(new FileInfo(paths.AgentPid).LinkTarget);
            Assert.Equal(SafeFile.OwnerOnly, File.GetUnixFileMode(paths.AgentJson));
            Assert.Equal(SafeFile.OwnerOnlyFolder, File.GetUnixFileMode(paths.Root));
            Assert.Contains("*", File.ReadAllLines(Path.Combine(paths.Root, ".gitignore")));
        }
        finally
        {
            await stop.CancelAsync();
            await agent.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
