using System.Globalization;
using System.Text;

namespace DashboardBench;

/// <summary>A generated matrix on the local platform: LANES service lanes × staging and production, each revision a tiny HTTP server.</summary>
internal static class BenchMatrix
{
    /// <summary>The revisions' program: answers 200 on every path (readiness and smoke included) on <c>$PORT</c>, loopback only.</summary>
    private const string Server = """
        #!/usr/bin/env python3
        import http.server, os
        class Ok(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.send_header("Content-Type", "text/plain"); self.end_headers(); self.wfile.write(b"ok\n")
            def log_message(self, *args): pass
        http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Ok).serve_forever()

        """;

    /// <param name="lanes">How many lanes (lane-01 …), each with a staging and a production target.</param>
    /// <param name="firstPort">Staging's ports start here, production's at <paramref name="firstPort"/> + 1000.</param>
    /// <returns>The matrix file.</returns>
    public static string Write(string folder, int lanes, int firstPort)
    {
        Directory.CreateDirectory(folder);
        var server = Path.Combine(folder, "server.py");
        File.WriteAllText(server, Server);
        File.SetUnixFileMode(server, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var yaml = new StringBuilder("""
            version: 1
            matrix: { title: Dashboard bench, status: active, updated: 2026-12-01, summary: generated lanes by two environments }
            defaults: { platform: local }
            environments:
              staging: {}
              production: {}
            lanes:

            """);
        for (var i = 1; i <= lanes; i++)
        {
            var name = Name(i);
            yaml.Append(CultureInfo.InvariantCulture, $"""
                  {name}:
                    description: generated lane {i}
                    build: {"{"} local: {"{"} command: "true", artifact: server.py {"}"} {"}"}
                    targets:
                      staging: {"{"} service: {name}-staging, port: {firstPort + i} {"}"}
                      production: {"{"} service: {name}, port: {firstPort + 1000 + i} {"}"}
                    smoke: [/healthz]

                """);
        }

        var file = Path.Combine(folder, "deploymatrix.yaml");
        File.WriteAllText(file, yaml.ToString());
        return file;
    }

    public static string Name(int i) => string.Create(CultureInfo.InvariantCulture, $"lane-{i:00}");
}
