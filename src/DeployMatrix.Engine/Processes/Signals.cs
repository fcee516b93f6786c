using System.Runtime.InteropServices;

namespace DeployMatrix.Engine.Processes;

/// <summary>POSIX signals to other processes; .NET only offers SIGKILL (Process.Kill).</summary>
public static partial class Signals
{
    public const int SigInt = 2;
    public const int SigTerm = 15;

    public const int SigKill = 9;

    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    public static bool IsAlive(int pid) => Kill(pid, 0) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
