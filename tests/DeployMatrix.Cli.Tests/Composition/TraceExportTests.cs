using DeployMatrix.Cli.Composition;
using DeployMatrix.Engine.Telemetry;

namespace DeployMatrix.Cli.Tests.Composition;

public sealed class TraceExportTests
{
    [Theory]
    [InlineData(null, null, null)]
    [InlineData("", " ", null)]
    [InlineData("http://127.0.0.1:4318", null, "true")]
    [InlineData(null, "http://127.0.0.1:4318/v1/traces", "TRUE")]
    public void WithoutAnEndpointOrWhenDisabled_NothingIsRegistered(string? endpoint, string? tracesEndpoint, string? disabled)
    {
        var env = Env(endpoint, tracesEndpoint, disabled);

        using var export = TraceExport.Start(env);

        Assert.Null(export);
    }

    [Theory]
    [InlineData("http://127.0.0.1:4318", null)]
    [InlineData(null, "http://127.0.0.1:4318/v1/traces")]
    public void WithAnEndpoint_TheEnginesSpansAreListenedTo(string? endpoint, string? tracesEndpoint)
    {
        using var export = TraceExport.Start(Env(endpoint, tracesEndpoint, null));

        Assert.NotNull(export);
        Assert.True(Tracing.Source.HasListeners());
    }

    private static Func<string, string?> Env(string? endpoint, string? tracesEndpoint, string? disabled) => name => name switch
    {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => endpoint,
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" => tracesEndpoint,
        "OTEL_SDK_DISABLED" => disabled,
        _ => null,
    };
}
