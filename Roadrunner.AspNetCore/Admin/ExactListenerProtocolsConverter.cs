using System.Text.Json;
using System.Text.Json.Serialization;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Reads <see cref="ListenerProtocols"/> from one of its names only (case-insensitive): not from a number, a numeric string
/// (<c>"1"</c>), padded text (<c>" Http2"</c>) or a list (<c>"Http1, Http2"</c>), all of which
/// <see cref="JsonStringEnumConverter"/> takes. Writes the name. Not generic, so the source generator needs no reflection.
/// </summary>
internal sealed class ExactListenerProtocolsConverter : JsonConverter<ListenerProtocols>
{
    private static readonly string[] Names = Enum.GetNames<ListenerProtocols>();

    public override ListenerProtocols Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } text
            && Array.Find(Names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } name)
        {
            return Enum.Parse<ListenerProtocols>(name);
        }

        // No message: System.Text.Json then says "The JSON value could not be converted to ..." with the path, which
        // AdminProblems turns into the field's hint.
        throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, ListenerProtocols value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
