using System.Text.Json;
using System.Text.Json.Serialization;

namespace Roadrunner.Example.Admin;

/// <summary>
/// Reads an enum from one of its names only (case-insensitive): not from a number, a numeric string (<c>"1"</c>),
/// padded text (<c>" Http2"</c>) or a comma-separated list (<c>"Http1, Http2"</c>), all of which
/// <see cref="JsonStringEnumConverter"/> takes. Writes the name.
/// </summary>
public sealed class ExactEnumNameConverter<T> : JsonConverter<T>
    where T : struct, Enum
{
    private static readonly string[] Names = Enum.GetNames<T>();

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } text
            && Array.Find(Names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } name)
        {
            return Enum.Parse<T>(name);
        }

        // No message: System.Text.Json then says "The JSON value could not be converted to ..." with the path, which
        // AdminProblems turns into the field's hint.
        throw new JsonException();
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}
