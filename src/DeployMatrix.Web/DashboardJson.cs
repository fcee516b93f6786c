using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeployMatrix.Web;

/// <summary>The dashboard's JSON: snake_case as the CLI's <c>--output json</c>, enums as their names.</summary>
internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
