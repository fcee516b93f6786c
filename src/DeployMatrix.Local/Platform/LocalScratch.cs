using DeployMatrix.Engine;
using DeployMatrix.Engine.Files;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Rehearsal;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Artifacts;
using DeployMatrix.State;

namespace DeployMatrix.Local.Platform;

/// <summary>
/// Opens scratch local platforms for rehearsals: an agent of their own hosted in this process on a scratch folder
/// (its own <c>state.db</c>, artifact store, data folders and proxies on free ports), artifacts and data copied in
/// from the workspace's, which are only read.
/// </summary>
/// <param name="paths">The workspace's state folder (read only here).</param>
/// <param name="state">The workspace's store (read only here: its artifact rows).</param>
public sealed class LocalScratchPlatforms(LocalPaths paths, StateStore state, TimeProvider time, string workingDirectory) : IScratchPlatforms
{
    /// <value>How long the scratch agent has to answer; the default is 30 seconds.</value>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public async Task<IScratchPlatform> OpenAsync(string root, CancellationToken cancellationToken)
    {
        var scratch = new LocalPaths(root);
        StateFolder.Ensure(scratch.Root);
        var location = StateLocation.Sqlite(scratch.StateDb);
        var stop = new CancellationTokenSource();
        var agent = Task.Run(() => AgentServer.RunAsync(scratch, location, new AgentOptions(), time, stop.Token), CancellationToken.None);
        var deadline = time.GetUtcNow() + StartTimeout;
        AgentClient? client = null;
        while (client is null)
        {
            if (agent.IsCompleted || time.GetUtcNow() > deadline)
            {
                await stop.CancelAsync();
                var why = agent.IsFaulted ? agent.Exception!.GetBaseException().Message : "it did not answer in time";
                stop.Dispose();
                throw new OperationException($"the rehearsal's scratch agent in {root} did not start: {why}");
            }

            client = await AgentClient.ConnectAsync(scratch, cancellationToken);
            if (client is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
            }
        }

        var store = StateStore.Open(location, time);
        var platform = new LocalPlatform(scratch, store, new ArtifactStore(scratch, store), client, time, workingDirectory);
        return new Scratch(platform, paths, scratch, new ArtifactStore(paths, state), new ArtifactStore(scratch, store), client, store, agent, stop);
    }

    private sealed class Scratch(LocalPlatform platform, LocalPaths real, LocalPaths scratch, ArtifactStore from, ArtifactStore to,
        AgentClient client, StateStore store, Task<int> agent, CancellationTokenSource stop) : IScratchPlatform
    {
        public IPlatform Platform => platform;

        public string Root => scratch.Root;

        public string Import(string lane, string digest)
        {
            var stored = from.Resolve(ArtifactStore.ImageName(lane, digest))
                ?? throw new OperationException($"no stored artifact of {lane} with {digest} in {real.Artifacts}; build it again");
            var copied = to.Store(lane, stored.Path);
            return ArtifactStore.ImageName(copied.Lane, copied.Digest);
        }

        public int CopyData(string env, string service) => Copy(real.DataDir(env, service), scratch.DataDir(env, service));

        public string DataDir(string env, string service) => scratch.DataDir(env, service);

        /// <summary>Regular files and folders only: a link in the data folder is not followed out of it.</summary>
        private static int Copy(string from, string to)
        {
            if (!Directory.Exists(from))
            {
                return 0;
            }

            SafeFile.CreateFolder(to);
            var count = 0;
            foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null)
                {
                    continue;
                }

                if (entry is DirectoryInfo folder)
                {
                    count += Copy(folder.FullName, Path.Combine(to, folder.Name));
                }
                else
                {
                    // Overwrite: a rehearsal given an --out folder an earlier one wrote replaces that scratch copy.
                    File.Copy(entry.FullName, Path.Combine(to, entry.Name), overwrite: true);
                    count++;
                }
            }

            return count;
        }

        /// <summary>
        /// Stops the scratch agent (its revisions get their grace period), drops the copied artifacts and removes the
        /// scratch state; the logs stay as evidence.
        /// </summary>
        /// <remarks>
        /// The state goes rather than being kept with names only: the agent launches a revision or a job from its row
        /// (the whole environment, values in clear: the data command's, a scratch database's password among them), and a
        /// scratch agent is never started again, so nothing reads the rows once it has stopped. Deleting the database
        /// file, its WAL and shared memory also takes the pages SQLite would keep after an update.
        /// </remarks>
        public async ValueTask DisposeAsync()
        {
            client.Dispose();
            await stop.CancelAsync();
            try
            {
                await agent;
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                store.Dispose();
                stop.Dispose();
            }

            if (Directory.Exists(scratch.Artifacts))
            {
                Directory.Delete(scratch.Artifacts, recursive: true);
            }

            foreach (var suffix in (string[])["", "-wal", "-shm", "-journal"])
            {
                File.Delete(scratch.StateDb + suffix);
            }
        }
    }
}
