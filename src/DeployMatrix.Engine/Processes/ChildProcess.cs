using System.Diagnostics;
using System.Text;

namespace DeployMatrix.Engine.Processes;

/// <summary>
/// A running child: its lines pumped as they arrive (to the caller, a log file and the captured text),
/// and one way to stop it — SIGINT, a grace period, then the whole process tree killed (as Aspire's
/// ProcessUtil does). <see cref="Exited"/> completes once the child has exited and its output is drained.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    // A grandchild that inherited the pipes may keep them open after the child exits; its output is not
    // worth waiting for longer than this.
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(2);

    private readonly Process _process;
    private readonly ProcessSpec _spec;
    private readonly StreamWriter? _log;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    // Both pipes' pumps hand lines on; this keeps it to one line at a time, as ProcessSpec.OnLine promises.
    private readonly Lock _lines = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _logClosed;

    private ChildProcess(Process process, ProcessSpec spec, StreamWriter? log)
    {
        _process = process;
        _spec = spec;
        _log = log;
    }

    public int Pid { get; private set; }

    /// <summary>When the child started (<see cref="ProcessStartTime"/>): with <see cref="Pid"/>, what names it after a restart; null if it was gone at once.</summary>
    public long? StartTime { get; private set; }

    /// <summary>Completes with the exit code when the child has exited and its output is read.</summary>
    public Task<int> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <exception cref="ProcessStartException">The program cannot be run.</exception>
    internal static ChildProcess Start(ProcessSpec spec)
    {
        var start = new ProcessStartInfo(Locate(spec))
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

        if (!spec.InheritEnvironment)
        {
            // ProcessStartInfo starts from this process's environment; a revision or job must not see it.
            start.Environment.Clear();
        }

        foreach (var (key, value) in spec.Env)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        StreamWriter? log = null;
        if (spec.LogPath is { } logPath)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
            log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }

        var process = new Process { StartInfo = start };
        var child = new ChildProcess(process, spec, log);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log?.Dispose();
            process.Dispose();
            throw new ProcessStartException(spec.Program, e.Message);
        }

        child.Pid = process.Id;
        child.StartTime = ProcessStartTime.Of(process.Id);
        // Children read nothing from us; an open stdin would let one wait forever for input.
        process.StandardInput.Close();
        _ = child.WatchAsync();
        return child;
    }

    /// <summary>SIGINT, wait up to <paramref name="grace"/>, then kill the process tree. Returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!HasExited)
        {
            Signals.Send(Pid, Signals.SigInt);
            using var timer = new CancellationTokenSource(grace);
            try
            {
                await Exited.WaitAsync(timer.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
            }
        }

        return await Exited;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_spec.StopGrace);
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited between the check and the kill.
        }
    }

    private async Task WatchAsync()
    {
        var pumps = Task.WhenAll(PumpAsync(_process.StandardOutput, isError: false), PumpAsync(_process.StandardError, isError: true));
        await _process.WaitForExitAsync();
        await Task.WhenAny(pumps, Task.Delay(DrainBound));
        lock (_gate)
        {
            _logClosed = true;
            _log?.Dispose();
        }

        _exited.TrySetResult(_process.ExitCode);
    }

    /// <summary>Reads a pipe to its end: the text kept exactly as printed, lines handed on as each one completes.</summary>
    private async Task PumpAsync(StreamReader reader, bool isError)
    {
        var buffer = new char[4096];
        var line = new StringBuilder();
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer)) > 0)
            {
                if (_spec.Capture)
                {
                    lock (_gate)
                    {
                        (isError ? _stderr : _stdout).Append(buffer, 0, read);
                    }
                }

                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] == '\n')
                    {
                        Emit(line.ToString().TrimEnd('\r'), isError);
                        line.Clear();
                    }
                    else
                    {
                        line.Append(buffer[i]);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe went away with the process.
        }

        if (line.Length > 0)
        {
            Emit(line.ToString(), isError);
        }
    }

    private void Emit(string text, bool isError)
    {
        lock (_gate)
        {
            // The log closes once the child has exited; a grandchild's late line is dropped.
            if (!_logClosed)
            {
                _log?.WriteLine(_spec.LogTimestamps is { } clock ? LogStamp.Format(clock.GetUtcNow()) + " " + text : text);
            }
        }

        if (_spec.OnLine is { } onLine)
        {
            lock (_lines)
            {
                onLine(new ProcessLine(isError, text));
            }
        }
    }

    /// <summary>The program on the PATH the child sees (which may differ from this process's own).</summary>
    private static string Locate(ProcessSpec spec) =>
        spec.SearchPath is not { } path || spec.Program.Contains('/', StringComparison.Ordinal)
            ? spec.Program
            : path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(dir => Path.Combine(dir, spec.Program)).FirstOrDefault(File.Exists) ?? spec.Program;
}
