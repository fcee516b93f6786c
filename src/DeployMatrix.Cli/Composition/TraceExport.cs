using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using DeployMatrix.Engine.Telemetry;

namespace DeployMatrix.Cli.Composition;

/// <summary>
/// Exports the command's trace over OTLP when an endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or
/// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>), with the standard <c>OTEL_*</c> variables (protocol, headers, timeout,
/// resource attributes, service name) read by the OpenTelemetry SDK itself. Without an endpoint — or with
/// <c>OTEL_SDK_DISABLED=true</c> — nothing is registered, so the engine's spans are never even created.
/// </summary>
internal sealed class TraceExport : IDisposable
{
    /// <summary>The service name spans carry unless <c>OTEL_SERVICE_NAME</c> (or <c>service.name</c> in <c>OTEL_RESOURCE_ATTRIBUTES</c>) says otherwise.</summary>
    public const string ServiceName = "deploymatrix";

    /// <summary>How long the exit waits for spans still queued to be sent: a collector that hangs never holds a command (or a CI job) longer.</summary>
    /// <value>2 seconds.</value>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(2);

    private readonly TracerProvider _provider;

    private TraceExport(TracerProvider provider) => _provider = provider;

    /// <param name="env">The process's environment (the SDK reads the same variables to configure the exporter).</param>
    /// <returns>The export to dispose at exit, or null when no endpoint is configured.</returns>
    public static TraceExport? Start(Func<string, string?> env)
    {
        if (string.Equals(env("OTEL_SDK_DISABLED"), "true", StringComparison.OrdinalIgnoreCase)
            || (string.IsNullOrWhiteSpace(env("OTEL_EXPORTER_OTLP_ENDPOINT")) && string.IsNullOrWhiteSpace(env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))))
        {
            return null;
        }

        var provider = Sdk.CreateTracerProviderBuilder()
            // The environment's detector comes after the default name, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
            .ConfigureResource(r => r.Clear().AddService(ServiceName, serviceVersion: typeof(Tracing).Assembly.GetName().Version?.ToString()).AddEnvironmentVariableDetector())
            .AddSource(Tracing.SourceName)
            .AddOtlpExporter()
            .Build();
        return new TraceExport(provider);
    }

    /// <summary>Sends what is queued, waiting at most <see cref="FlushTimeout"/>; the exporter's thread never keeps the process alive.</summary>
    public void Dispose()
    {
        _provider.Shutdown((int)FlushTimeout.TotalMilliseconds);
        _provider.Dispose();
    }
}
