using System.Runtime.InteropServices;

namespace DeployMatrix.Cli.Common;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM (what CI sends on cancel) for one command. The first cancels the command's
/// token, so a change stops at its next step boundary and writes its receipt and audit record; the
/// command then exits 130 (SIGINT) or 143 (SIGTERM), 128 + the signal's number as shells report it.
/// A second signal forces exit at once with the same code: the journal shows where it stopped.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly TextWriter? _err;
    private int _signals;

    private Interruption(TextWriter? err) => _err = err;

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>130 after SIGINT, 143 after SIGTERM; null while no signal came.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>Handles this process's SIGINT and SIGTERM (the real CLI).</summary>
    public static Interruption ForThisProcess(TextWriter err)
    {
        var interruption = new Interruption(err);
        interruption._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, c => interruption.OnSignal(c, 130)));
        interruption._registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => interruption.OnSignal(c, 143)));
        return interruption;
    }

    /// <summary>No signal handling: a command run inside another process (tests) is cancelled only through <see cref="Signal"/>.</summary>
    public static Interruption None() => new(null);

    /// <summary>As if the signal with exit code <paramref name="exitCode"/> (130, 143) arrived first.</summary>
    public void Signal(int exitCode)
    {
        ExitCode ??= exitCode;
        _cancel.Cancel();
    }

    private void OnSignal(PosixSignalContext context, int exitCode)
    {
        // Ours to handle: the runtime must not end the process before the command has written its record.
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) > 1)
        {
            _err?.WriteLine($"deploymatrix: {context.Signal} again; exiting now (the journal shows where it stopped)");
            _err?.Flush();
            Environment.Exit(ExitCode ?? exitCode);
        }

        _err?.WriteLine($"deploymatrix: {context.Signal}; stopping at the next step boundary (send it again to exit at once)");
        Signal(exitCode);
    }

    public void Dispose()
    {
        _registrations.ForEach(r => r.Dispose());
        _cancel.Dispose();
    }
}
