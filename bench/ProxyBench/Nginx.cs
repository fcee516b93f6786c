using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace ProxyBench;

/// <summary>nginx (Debian's package) as a weighted reverse proxy with upstream keep-alive, in a scratch folder.</summary>
internal sealed class Nginx : IAsyncDisposable
{
    private readonly Process _process;

    private Nginx(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<Nginx> StartAsync(string work, int primary, int canary)
    {
        var port = DeployMatrix.Local.Supervisor.Ports.Free();
        var dir = Path.Combine(work, "nginx");
        Directory.CreateDirectory(Path.Combine(dir, "logs"));
        var config = Path.Combine(dir, "nginx.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
            worker_processes auto;
            daemon off;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/logs/error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path {{dir}}/body;
              proxy_temp_path {{dir}}/proxy;
              upstream backends {
                server 127.0.0.1:{{primary}} weight=9;
                server 127.0.0.1:{{canary}} weight=1;
                keepalive 128;
              }
              server {
                listen 127.0.0.1:{{port}};
                location / {
                  proxy_pass http://backends;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                }
              }
            }
            """));
        var process = Process.Start(new ProcessStartInfo(Tools.Find("nginx"), new[] { "-p", dir, "-c", config }) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        for (var i = 0; i < 50; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return new Nginx(process, port);
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new InvalidOperationException("nginx did not start; see " + Path.Combine(dir, "logs", "error.log"));
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
