using System.Globalization;
using System.Text;

namespace MatrixBench;

/// <summary>Writes a large, valid matrix: services with Cloud Build and local builds, migrations, binaries, a gate.</summary>
internal static class BigMatrix
{
    public static string Write(string root, int lanes)
    {
        Directory.CreateDirectory(Path.Combine(root, "deploy"));
        Directory.CreateDirectory(Path.Combine(root, "docs"));
        File.WriteAllText(Path.Combine(root, "deploy", "cloudbuild.yaml"), "steps: [{ name: gcr.io/cloud-builders/docker, args: [build, -t, \"app:$_TAG\", .] }]\n");
        File.WriteAllText(Path.Combine(root, "docs", "RUNBOOK.md"), "# runbook\n");
        File.WriteAllText(Path.Combine(root, "docs", "GATE.md"), "# gate\n");

        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"""
            version: 1
            matrix: {"{"} title: Generated, status: active, updated: 2026-01-01, summary: {lanes} generated lanes {"}"}
            defaults: {"{"} platform: cloudrun, project: bench-project, region: us-central1 {"}"}
            environments:
              staging:
              production: {"{"} no-traffic: true {"}"}
            lanes:

            """);
        for (var i = 0; i < lanes; i++)
        {
            var name = $"lane-{i:D4}";
            if (i % 5 == 4)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"""
                      {name}:
                        kind: binary
                        run: {name}-cli --verbose <command>

                    """);
                continue;
            }

            var migration = i % 10 == 0 ? $"    migration: {{ job: {name}-migrate, mandatory: true, command: migrate }}\n" : "";
            yaml.Append(CultureInfo.InvariantCulture, $"""
                  {name}:
                    description: generated service {i}
                    image: us-central1-docker.pkg.dev/bench-project/{name}/{name}:<TAG>
                    build:
                      cloudbuild: deploy/cloudbuild.yaml
                      local: {"{"} command: cargo build --release -p {name}, artifact: target/release/{name} {"}"}
                    targets:
                      staging: {"{"} service: {name}-staging, port: {20000 + (2 * i)} {"}"}
                      production: {"{"} service: {name}, port: {20001 + (2 * i)} {"}"}
                    smoke: [/healthz, /readyz]
                    runbooks: [docs/RUNBOOK.md]

                """).Append(migration);
        }

        yaml.Append("""
            legacy:
              commands: [php artisan, mix test, npm run deploy]
              archived: [archive/]
            gate:
              doc: docs/GATE.md
              from: staging
              to: production
              checks:

            """);
        for (var i = 0; i < lanes; i += 10)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"    - {{ id: lane-{i:D4}-health, http: {{ lane: lane-{i:D4}, env: staging, path: /healthz }} }}\n");
        }

        var file = Path.Combine(root, "deploymatrix.yaml");
        File.WriteAllText(file, yaml.ToString());
        return file;
    }
}
