using System.Diagnostics;
using System.Net.Sockets;

namespace DeployMatrix.Local.Supervisor;

/// <summary>
/// A child process with its output in a log file, stopped politely: SIGINT, a grace period, then the
/// whole process tree is killed (as Aspire's ProcessUtil does).
/// </summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _logClosed;

    private ManagedProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    public int Pid => _process.Id;

    /// <summary>Completes with the exit code when the process ends.</summary>
    public Task<int> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    public static ManagedProcess Start(LaunchSpec spec, IReadOnlyDictionary<string, string> extraEnv, string logPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var start = new ProcessStartInfo(spec.Executable)
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in spec.Args)
        {
            start.ArgumentList.Add(arg);
        }

        // The agent's own runtime tuning is not the revision's business.
        start.Environment.Remove(Proxy.ServiceProxy.InlineCompletionsVariable);
        foreach (var (key, value) in spec.Env.Concat(extraEnv))
        {
            start.Environment[key] = value;
        }

        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var managed = new ManagedProcess(process, log);
        process.OutputDataReceived += (_, e) => managed.Append(e.Data);
        process.ErrorDataReceived += (_, e) => managed.Append(e.Data);
        process.Exited += (_, _) => managed.OnExited();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log.Dispose();
            throw new InvalidOperationException($"cannot start {spec.Executable}: {e.Message}", e);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    /// <summary>SIGINT, wait up to <paramref name="grace"/>, then kill the tree. Returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!HasExited)
        {
            Signals.Send(Pid, Signals.SigInt);
            var finished = await Task.WhenAny(Exited, Task.Delay(grace));
            if (finished != Exited)
            {
                try
                {
                    _process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Exited between the check and the kill.
                }
            }
        }

        return await Exited;
    }

    /// <summary>A free loopback port for a new process. Another process could take it before ours binds; readiness will tell.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            // The output pumps may deliver a last line after the exit handler closed the log.
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }

    private void OnExited()
    {
        // Let the output pumps drain before the log closes.
        _process.WaitForExit();
        lock (_log)
        {
            _logClosed = true;
            _log.Dispose();
        }

        _exited.TrySetResult(_process.ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }
}
