using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// The real Google Cloud CLI (the stock image ships it at /usr/bin/gcloud) with every API it calls sent
/// to a loopback listener that refuses each request with Google's error body (400 INVALID_ARGUMENT). The
/// endpoints are overridden to plain-http names that only this listener, as gcloud's HTTP proxy, ever
/// sees — nothing is resolved or sent off the machine. A command whose arguments gcloud accepts reaches
/// the listener and ends with the refusal (exit 1); one it refuses exits 2 before sending anything.
/// </summary>
/// <remarks>
/// A closed port would do as well for the verdict, but gcloud retries a refused connection five times
/// with back-off (about 30 s a command, apitools' <c>num_retries</c>); an HTTP refusal ends it at once.
/// </remarks>
public sealed class RealGcloud : IDisposable
{
    /// <summary>What the listener answers every request: Google's error shape.</summary>
    public const string Refusal = "refused by the test";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _folder;
    private readonly string _token;

    public RealGcloud(string folder)
    {
        _folder = folder;
        _token = Path.Combine(folder, "gcloud-token");
        File.WriteAllText(_token, "not-a-real-token\n");
        _listener.Start();
        _ = ServeAsync();
    }

    /// <summary>Every request gcloud sent, in order: its request line (through the proxy: the absolute URL) and body.</summary>
    public ConcurrentQueue<(string Line, string Body)> Requests { get; } = new();

    /// <summary>Runs gcloud with <paramref name="args"/> (without the word <c>gcloud</c>) in <paramref name="workingDirectory"/>.</summary>
    /// <returns>Its exit code and what it wrote (stdout and stderr).</returns>
    public async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("gcloud") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? _folder };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var port = ((IPEndPoint)_listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["CLOUDSDK_CONFIG"] = Path.Combine(_folder, "gcloud-config");
        start.Environment["CLOUDSDK_AUTH_ACCESS_TOKEN_FILE"] = _token;
        start.Environment["CLOUDSDK_CORE_DISABLE_PROMPTS"] = "1";
        // The project gcloud is configured with, as the seed's build line relies on (it names none).
        start.Environment["CLOUDSDK_CORE_PROJECT"] = "openagentsgemini";
        start.Environment["CLOUDSDK_CORE_DISABLE_USAGE_REPORTING"] = "true";
        start.Environment["CLOUDSDK_CORE_SHOULD_PROMPT_TO_ENABLE_API"] = "false";
        start.Environment["CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK"] = "true";
        start.Environment["CLOUDSDK_PROXY_TYPE"] = "http";
        start.Environment["CLOUDSDK_PROXY_ADDRESS"] = "127.0.0.1";
        start.Environment["CLOUDSDK_PROXY_PORT"] = port;
        foreach (var api in new[] { "RUN", "CLOUDBUILD", "STORAGE", "SERVICEUSAGE", "LOGGING", "ARTIFACTREGISTRY" })
        {
            start.Environment[$"CLOUDSDK_API_ENDPOINT_OVERRIDES_{api}"] = $"http://{api.ToLowerInvariant()}.test/";
        }

        using var gcloud = Process.Start(start)!;
        var output = gcloud.StandardOutput.ReadToEndAsync();
        var errors = gcloud.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await gcloud.WaitForExitAsync(timeout.Token);
        return (gcloud.ExitCode, await output + await errors);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = AnswerAsync(client);
        }
    }

    /// <summary>Reads one request (head and Content-Length body), records it, answers 400 and closes.</summary>
    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var received = new List<byte>();
            var buffer = new byte[8192];
            int headerEnd;
            while ((headerEnd = CollectionsMarshal.AsSpan(received).IndexOf("\r\n\r\n"u8)) < 0)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                {
                    return;
                }

                received.AddRange(buffer.AsSpan(0, n).ToArray());
            }

            var head = Encoding.ASCII.GetString([.. received.Take(headerEnd)]).Split("\r\n");
            var length = head.Skip(1).Select(h => h.Split(':', 2)).Where(h => h[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                .Select(h => int.Parse(h[1].Trim(), CultureInfo.InvariantCulture)).FirstOrDefault();
            while (received.Count < headerEnd + 4 + length)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                received.AddRange(buffer.AsSpan(0, n).ToArray());
            }

            Requests.Enqueue((head[0], Encoding.UTF8.GetString([.. received.Skip(headerEnd + 4).Take(length)])));
            var answer = $"{{\"error\":{{\"code\":400,\"message\":\"{Refusal}\",\"status\":\"INVALID_ARGUMENT\"}}}}";
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {answer.Length}\r\nConnection: close\r\n\r\n{answer}"));
        }
    }
}
