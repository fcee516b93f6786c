namespace DeployMatrix.Local.Supervisor;

/// <summary>
/// What a revision or job process sees, and nothing else — as on Cloud Run, where a revision gets only what
/// its template says. The agent (and the CLI that started it) may hold an operator's secrets
/// (<c>GOOGLE_OAUTH_ACCESS_TOKEN</c>, cloud keys, SSH agent sockets); none of that is the child's business.
/// In order, later entries winning: the <see cref="AllowList"/> taken from the host, the matrix's
/// <c>env</c> (lane and target), then the platform's own variables (<c>PORT</c>, <c>DEPLOYMATRIX_*</c>).
/// This is the one place the rule lives: every revision and job is started through <see cref="LaunchSpec.Process"/>.
/// </summary>
public static class RevisionEnvironment
{
    /// <summary>
    /// Host variables a revision or job keeps. Each one only describes the machine or the user the process
    /// runs as, and a program may fail without it: <c>PATH</c> (a script finds its interpreter), <c>HOME</c>,
    /// <c>USER</c>, <c>LOGNAME</c> (who it runs as; Cloud Run sets <c>HOME</c> too), the locale
    /// (<c>LANG</c>, <c>LANGUAGE</c>, <c>LC_*</c> categories), <c>TZ</c> and <c>TMPDIR</c>. Left out on
    /// purpose: credentials and tokens, proxy settings (<c>HTTP_PROXY</c> may carry a password), sockets to
    /// the user's agents (<c>SSH_AUTH_SOCK</c>, <c>DBUS_SESSION_BUS_ADDRESS</c>, <c>XDG_RUNTIME_DIR</c>), and
    /// runtime tuning meant for the agent itself (<c>DOTNET_*</c>). A revision that needs one of these gets it
    /// from the matrix's <c>env</c>, where it is visible and reviewed.
    /// </summary>
    public static readonly IReadOnlyList<string> AllowList =
    [
        "PATH", "HOME", "USER", "LOGNAME",
        "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_COLLATE", "LC_MESSAGES", "LC_NUMERIC", "LC_TIME", "LC_MONETARY",
        "TZ", "TMPDIR",
    ];

    /// <summary>The whole environment of a revision or job process.</summary>
    /// <param name="matrixEnv">The matrix's <c>env</c>, lane and target merged.</param>
    /// <param name="platformEnv">What the platform sets: <c>PORT</c>, <c>DEPLOYMATRIX_*</c>.</param>
    /// <param name="host">Reads a variable of the host (the agent's environment); null when unset.</param>
    public static Dictionary<string, string?> Build(
        IReadOnlyDictionary<string, string> matrixEnv, IReadOnlyDictionary<string, string> platformEnv, Func<string, string?> host)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in AllowList)
        {
            if (host(name) is { } value)
            {
                env[name] = value;
            }
        }

        foreach (var (key, value) in matrixEnv.Concat(platformEnv))
        {
            env[key] = value;
        }

        return env;
    }
}
