using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine;
using DeployMatrix.Local;
using DeployMatrix.State;

namespace DeployMatrix.Cli.Composition;

/// <summary>
/// Where a matrix's state lives: the PostgreSQL database named by <c>DEPLOYMATRIX_STATE_URL</c>, else by
/// the variable the matrix's <c>state: { url-env: NAME }</c> names, else <c>.deploymatrix/state.db</c>.
/// The URL is read from the environment only, and never printed.
/// </summary>
internal static class StateSelection
{
    public const string UrlVariable = "DEPLOYMATRIX_STATE_URL";

    /// <exception cref="OperationException">The variable is empty or not a PostgreSQL URI or connection string (exit 2).</exception>
    public static StateLocation Of(Matrix matrix, Func<string, string?> env)
    {
        try
        {
            if (env(UrlVariable) is { Length: > 0 } url)
            {
                return StateLocation.Postgres(url, UrlVariable);
            }

            if (matrix.State is { } state)
            {
                return env(state.UrlEnv) is { Length: > 0 } named
                    ? StateLocation.Postgres(named, state.UrlEnv)
                    : throw new OperationException($"the matrix keeps its state in the database named by {state.UrlEnv} (state.url-env), which is not set; export it as postgresql://USER:PASSWORD@HOST:PORT/DB, or remove 'state:' to keep the state in .deploymatrix/state.db", ExitCodes.BadInput);
            }
        }
        catch (StateStoreException e)
        {
            throw new OperationException(e.Message, ExitCodes.BadInput);
        }

        return StateLocation.Sqlite(LocalPaths.For(matrix.BaseDirectory).StateDb);
    }

    /// <summary>Opens the state where <paramref name="location"/> says.</summary>
    /// <exception cref="OperationException">It cannot be opened: unreachable, a refused login, a newer schema (exit 2, one line, no secret).</exception>
    public static StateStore Open(StateLocation location, TimeProvider time)
    {
        try
        {
            return StateStore.Open(location, time);
        }
        catch (StateStoreException e)
        {
            throw new OperationException(e.Message, ExitCodes.BadInput);
        }
    }
}
