using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace DeployMatrix.Local.Agent;

/// <summary>
/// The agent's metrics export: a Prometheus scrape endpoint, <see cref="MetricsPath"/>, on the agent's loopback listener,
/// always; and OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c>) is set, with the
/// standard <c>OTEL_*</c> variables read by the SDK. Service name <c>deploymatrix-agent</c> unless <c>OTEL_SERVICE_NAME</c> says otherwise.
/// </summary>
/// <remarks>
/// <see cref="MetricsPath"/> is served without the agent's token, on purpose: the listener is loopback only, the endpoint is
/// read-only and shows counters labelled with environment, service and revision names (no request data, no environment
/// values, never the token); and the token is made anew at every agent start and lets its holder move traffic, so a
/// scraper configured with it would break at each restart and hold a credential worth far more than the counters.
/// Every other path of the agent still requires the token.
/// </remarks>
internal static class AgentTelemetry
{
    public const string MetricsPath = "/metrics";

    /// <summary>The service name the agent's metrics carry unless <c>OTEL_SERVICE_NAME</c> says otherwise.</summary>
    public const string ServiceName = "deploymatrix-agent";

    public static void AddMetrics(WebApplicationBuilder builder, Func<string, string?> env)
    {
        var otlp = !string.IsNullOrWhiteSpace(env("OTEL_EXPORTER_OTLP_ENDPOINT")) || !string.IsNullOrWhiteSpace(env("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"));
        builder.Services.AddOpenTelemetry()
            // The environment's detector comes after the default name, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
            .ConfigureResource(r => r.Clear().AddService(ServiceName, serviceVersion: typeof(AgentMetrics).Assembly.GetName().Version?.ToString()).AddEnvironmentVariableDetector())
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(AgentMetrics.MeterName).AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
    }

    /// <summary>Serves <see cref="MetricsPath"/>; goes before the token check (see the remarks for why).</summary>
    public static void UseMetrics(WebApplication app) =>
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Request.Path == MetricsPath && HttpMethods.IsGet(context.Request.Method));
}
