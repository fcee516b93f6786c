namespace DeployMatrix.Cli.Completion;

/// <summary>
/// The scripts <c>deploymatrix completion SHELL</c> prints. Each asks deploymatrix itself for the candidates through
/// System.CommandLine's <c>[suggest:POSITION]</c> directive with the line typed so far, as <c>dotnet-suggest</c>'s scripts
/// do, so commands, options, lanes, environments and revisions come from the same command tree and matrix the
/// command would run with. The candidates are newline-separated; a failing call completes nothing.
/// </summary>
internal static class CompletionScripts
{
    public static readonly IReadOnlyList<string> Shells = ["bash", "zsh", "fish"];

    /// <summary>The script for <paramref name="shell"/> (one of <see cref="Shells"/>).</summary>
    public static string For(string shell) => shell switch
    {
        "bash" => Bash,
        "zsh" => Zsh,
        "fish" => Fish,
        _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "bash, zsh or fish"),
    };

    // $1 is the command as typed (deploymatrix, ./deploymatrix), so a clone's launcher completes too.
    private const string Bash = """
        # deploymatrix completion for bash. Load it with: source <(deploymatrix completion bash)
        _deploymatrix_complete()
        {
            local cur="${COMP_WORDS[COMP_CWORD]}" IFS=$'\n'
            local -a candidates
            read -d '' -ra candidates < <("$1" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)
            read -d '' -ra COMPREPLY < <(compgen -W "${candidates[*]:-}" -- "$cur")
            return 0
        }
        complete -o default -F _deploymatrix_complete deploymatrix

        """;

    private const string Zsh = """
        #compdef deploymatrix
        # deploymatrix completion for zsh. Load it with: source <(deploymatrix completion zsh)
        _deploymatrix_complete()
        {
            local -a candidates
            candidates=("${(@f)$(${words[1]} "[suggest:${#BUFFER}]" "$BUFFER" 2>/dev/null)}")
            compadd -- $candidates
        }
        compdef _deploymatrix_complete deploymatrix

        """;

    private const string Fish = """
        # deploymatrix completion for fish. Load it with: deploymatrix completion fish | source
        function __deploymatrix_complete
            set -l line (commandline -cp)
            set -l cmd (commandline -opc)[1]
            $cmd "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
        end
        complete -c deploymatrix -f -a '(__deploymatrix_complete)'

        """;
}
