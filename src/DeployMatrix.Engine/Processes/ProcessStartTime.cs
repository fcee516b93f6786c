using System.Globalization;

namespace DeployMatrix.Engine.Processes;

/// <summary>
/// Tells a process apart from a later one that was given the same pid: a pid is reused once its process
/// is gone, but (pid, start time) names one process for as long as the machine runs. Linux only
/// (<c>/proc/PID/stat</c>, proc(5)).
/// </summary>
public static class ProcessStartTime
{
    /// <summary>
    /// When the process started, in clock ticks since boot (field 22, <c>starttime</c>, of
    /// <c>/proc/PID/stat</c>); null when there is no such process (or it cannot be read).
    /// </summary>
    public static long? Of(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // Field 2, the command name, is in parentheses and may itself hold spaces and ')': fields 3.. follow the last ')'.
        var close = stat.LastIndexOf(')');
        var fields = close < 0 ? [] : stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        const int startTimeIndex = 22 - 3;
        return fields.Length > startTimeIndex && long.TryParse(fields[startTimeIndex], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? ticks
            : null;
    }

    /// <summary>Whether <paramref name="pid"/> is still the process that started at <paramref name="startTime"/>.</summary>
    public static bool IsSame(int pid, long startTime) => Of(pid) == startTime;
}
