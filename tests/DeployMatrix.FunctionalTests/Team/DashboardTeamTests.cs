using System.Net;
using System.Text.Json;
using DeployMatrix.BrowserTests.Support;

namespace DeployMatrix.FunctionalTests.Team;

/// <summary>The dashboard on machine B, with no agent, reading the shared store and Cloud Run (the double).</summary>
public sealed class DashboardTeamTests : TeamModeTest
{
    [Fact]
    public async Task OnMachineB_WithNoAgent_TheMatrixShowsWhatADeployedToCloudRun()
    {
        ServeTheExampleApps();
        Ok(CliA("build", "runtime", "--tag", "bbb2222"));
        Ok(CliA("deploy", "runtime", "--env", "staging", "--tag", "bbb2222"));
        var served = Status("runtime", "staging").GetProperty("traffic")[0].GetProperty("revision").GetString()!;

        await using var dashboard = await DashboardProcess.StartAsync(DirB, Env, "cloudrun");
        using var http = dashboard.Client();
        using var response = await http.GetAsync("api/matrix");
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.False(File.Exists(Path.Combine(DirB, ".deploymatrix", "agent.json")), "no agent runs on B");
        var lane = JsonDocument.Parse(body).RootElement.GetProperty("lanes").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "runtime");
        var cell = lane.GetProperty("cells").EnumerateArray().Single(c => c.GetProperty("env").GetString() == "staging").GetProperty("targets")[0];
        Assert.Equal("cloudrun", cell.GetProperty("platform").GetString());
        Assert.True(cell.TryGetProperty("service", out var service), cell.ToString());
        var traffic = service.GetProperty("traffic");
        Assert.Equal((served, 100), (traffic[0].GetProperty("revision").GetString(), traffic[0].GetProperty("percent").GetInt32()));
        // The deploy A recorded in the shared store is B's cell's last deploy.
        Assert.Equal("succeeded", cell.GetProperty("last_deploy").GetProperty("result").GetString());
        Assert.DoesNotContain(new Uri(Url).UserInfo, body, StringComparison.Ordinal);
    }
}
