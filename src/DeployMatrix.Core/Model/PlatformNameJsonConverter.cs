using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeployMatrix.Core.Model;

/// <summary>
/// A platform in JSON as the matrix and <c>--platform</c> write it (<c>local</c>, <c>cloudrun</c>), where a
/// naming policy on enums would make <c>cloud-run</c> or <c>cloud_run</c>. Put it before any enum converter.
/// </summary>
public sealed class PlatformNameJsonConverter : JsonConverter<PlatformKind>
{
    /// <exception cref="JsonException">The name is neither local nor cloudrun.</exception>
    public override PlatformKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        PlatformNames.ByName.TryGetValue(reader.GetString() ?? "", out var kind) ? kind : throw new JsonException("a platform is local or cloudrun");

    public override void Write(Utf8JsonWriter writer, PlatformKind value, JsonSerializerOptions options) => writer.WriteStringValue(PlatformNames.Name(value));
}
