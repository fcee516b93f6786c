using DeployMatrix.Core;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Operations;

/// <summary><c>state copy --to URL</c>: a machine's state file (<c>.deploymatrix/state.db</c>) into the team's database.</summary>
public static class StateCopyOperation
{
    /// <param name="file">The SQLite state file to copy from; it must exist.</param>
    /// <param name="target">Where to copy to (a PostgreSQL database).</param>
    /// <exception cref="OperationException">No state file (exit 2), the target cannot be used or holds other state (exit 1); nothing is copied then.</exception>
    public static StateCopyResult Copy(string file, StateLocation target, TimeProvider time)
    {
        if (!File.Exists(file))
        {
            throw new OperationException($"there is no state to copy: {file} does not exist", ExitCodes.BadInput);
        }

        try
        {
            using var source = StateStore.Open(StateLocation.Sqlite(file), time);
            using var into = StateStore.Open(target, time);
            return StateCopy.Copy(source, into);
        }
        catch (StateStoreException e)
        {
            throw new OperationException(e.Message);
        }
    }
}
