using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeployMatrix.Local.Agent;

/// <summary>The agent API's JSON shape, shared by server and client.</summary>
internal static class AgentJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
