using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Team;

/// <summary>The matrix's <c>state: { url-env: NAME }</c> names the team's database; the variable, not the matrix, holds the URL.</summary>
public sealed class StateSelectionTests : TeamModeTest
{
    [Fact]
    public void TheMatrixsUrlEnv_SharesTheState_AndAnUnsetVariableIsOneLineWithTheFix()
    {
        Ok(CliB("deploy", "runtime", "--env", "staging", "--tag", "aaa1111"));
        var matrix = Path.Combine(DirA, "deploymatrix.yaml");
        File.AppendAllText(matrix, "\nstate: { url-env: TEAM_STATE_URL }\n");
        var named = Env.Where(e => e.Key != "DEPLOYMATRIX_STATE_URL").ToDictionary();
        named["TEAM_STATE_URL"] = Url;
        var unset = Env.Where(e => e.Key != "DEPLOYMATRIX_STATE_URL").ToDictionary();

        var history = CliRun.Invoke(DirA, named, "--platform", "cloudrun", "history");
        var refused = CliRun.Invoke(DirA, unset, "--platform", "cloudrun", "history");

        Assert.True(history.ExitCode == 0, history.ToString());
        Assert.Contains("deploy runtime (staging): succeeded", history.Out, StringComparison.Ordinal);
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal("deploymatrix: the matrix keeps its state in the database named by TEAM_STATE_URL (state.url-env), which is not set; export it as postgresql://USER:PASSWORD@HOST:PORT/DB, or remove 'state:' to keep the state in .deploymatrix/state.db", refused.Err.Trim());
        Assert.False(File.Exists(Path.Combine(DirA, ".deploymatrix", "state.db")));
    }
}
