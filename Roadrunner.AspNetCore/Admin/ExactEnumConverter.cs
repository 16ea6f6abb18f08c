using System.Text.Json;
using System.Text.Json.Serialization;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Reads an enum from one of its names only (case-insensitive), as <see cref="ExactListenerProtocolsConverter"/> does for
/// <see cref="ListenerProtocols"/>: not from a number, a numeric string or a list, which <see cref="JsonStringEnumConverter"/>
/// takes. Writes the name. Closed over each enum in an attribute, so the source generator instantiates it without reflection.
/// </summary>
/// <typeparam name="TEnum">The enum.</typeparam>
internal sealed class ExactEnumConverter<TEnum> : JsonConverter<TEnum>
    where TEnum : struct, Enum
{
    private static readonly string[] Names = Enum.GetNames<TEnum>();

    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } text
            && Array.Find(Names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } name)
        {
            return Enum.Parse<TEnum>(name);
        }

        // No message: System.Text.Json then says "could not be converted" with the path, which AdminProblems turns into the hint.
        throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
