using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using DeployMatrix.Core.Planning;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// The build line's <c>--substitutions</c> word read by the real gcloud CLI (the stock image ships it):
/// gcloud parses it, applies it to the config and sends the Build to Cloud Build's endpoint, overridden
/// to a loopback listener that keeps the request and refuses it. What gcloud sent is the map the
/// matrix gave — a value holding commas and '=' included, which a plain comma-joined word splits apart.
/// </summary>
public sealed class RealGcloudSubstitutionsTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task TheBuildLinesSubstitutions_ReachCloudBuild_AsTheMatrixGaveThem()
    {
        var substitutions = new Dictionary<string, string> { ["_TAG"] = "abc1234", ["_HOSTS"] = "a.example,b.example=2", ["_PIPE"] = "x|y" };
        var step = new BuildImage("api", "abc1234", "r/api:abc1234", "cloudbuild.yaml", substitutions);
        var words = GcloudCommands.For(step)[0];
        _dir.Write("cloudbuild.yaml", "steps: [{ name: gcr.io/cloud-builders/docker, args: [build, --build-arg, \"H=$_HOSTS $_PIPE\", -t, \"r/api:$_TAG\", .] }]\n");
        var token = _dir.Write("token", "not-a-real-token\n");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var request = KeepOneRequestAsync(listener);

        // The line as planned, with the source folder left out: what is read here is the --substitutions word.
        var exit = await GcloudAsync([.. words.Skip(1).SkipLast(1), "--no-source", "--project", "p", "--access-token-file", token], ((IPEndPoint)listener.LocalEndpoint).Port);

        var (path, body) = await request.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, exit); // Cloud Build (the listener) refused the build
        Assert.Equal("/v1/projects/p/locations/global/builds?alt=json", path);
        var sent = JsonNode.Parse(body)!["substitutions"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
        Assert.Equal(substitutions.OrderBy(p => p.Key, StringComparer.Ordinal), sent.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    public void Dispose() => _dir.Dispose();

    private async Task<int> GcloudAsync(IEnumerable<string> args, int port)
    {
        var start = new ProcessStartInfo("gcloud") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir.Path };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["CLOUDSDK_CONFIG"] = Path.Combine(_dir.Path, "gcloud-config");
        start.Environment["CLOUDSDK_CORE_DISABLE_PROMPTS"] = "1";
        start.Environment["CLOUDSDK_CORE_DISABLE_USAGE_REPORTING"] = "true";
        start.Environment["CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK"] = "true";
        start.Environment["CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDBUILD"] = $"http://127.0.0.1:{port}/";
        using var gcloud = Process.Start(start)!;
        var output = gcloud.StandardOutput.ReadToEndAsync();
        var errors = gcloud.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await gcloud.WaitForExitAsync(timeout.Token);
        Assert.Contains("INVALID_ARGUMENT: refused by the test", await errors + await output, StringComparison.Ordinal);
        return gcloud.ExitCode;
    }

    /// <summary>The first request's path and body; answered 400 so gcloud stops there.</summary>
    private static async Task<(string Path, string Body)> KeepOneRequestAsync(TcpListener listener)
    {
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var received = new List<byte>();
        var buffer = new byte[8192];
        int headerEnd;
        while ((headerEnd = CollectionsMarshal.AsSpan(received).IndexOf("\r\n\r\n"u8)) < 0)
        {
            var n = await stream.ReadAsync(buffer);
            Assert.True(n > 0, "gcloud closed the connection before its request was whole");
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        var head = Encoding.ASCII.GetString([.. received.Take(headerEnd)]).Split("\r\n");
        var length = head.Skip(1).Select(h => h.Split(':', 2)).Where(h => h[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(h => int.Parse(h[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).Single();
        while (received.Count < headerEnd + 4 + length)
        {
            var n = await stream.ReadAsync(buffer);
            Assert.True(n > 0, "gcloud closed the connection before its request body was whole");
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        var answer = "{\"error\":{\"code\":400,\"message\":\"refused by the test\",\"status\":\"INVALID_ARGUMENT\"}}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {answer.Length}\r\nConnection: close\r\n\r\n{answer}"));
        return (head[0].Split(' ')[1], Encoding.UTF8.GetString([.. received.Skip(headerEnd + 4).Take(length)]));
    }
}
