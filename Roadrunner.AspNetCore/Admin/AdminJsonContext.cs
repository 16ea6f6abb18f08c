using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// Source-generated metadata of the admin API's bodies (trim- and AOT-safe). Also added to the app's
/// <c>HttpJsonOptions</c> resolver chain so that OpenAPI can describe the internal request and response types.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CreateListenerRequest))]
[JsonSerializable(typeof(UpdateListenerRequest))]
[JsonSerializable(typeof(ReplaceCertificateRequest))]
[JsonSerializable(typeof(DrainRequest))]
[JsonSerializable(typeof(NotifyDrainRequest))]
[JsonSerializable(typeof(DrainResponse))]
[JsonSerializable(typeof(DrainScheduledResponse))]
[JsonSerializable(typeof(ListenerInfo))]
[JsonSerializable(typeof(IReadOnlyList<ListenerInfo>), TypeInfoPropertyName = "ListenerInfoList")]
internal sealed partial class AdminJsonContext : JsonSerializerContext
{
    private static JsonSerializerOptions? s_strict;

    /// <summary>
    /// Strict reading: what a client did not mean to send is an error naming the field, never a guess. Unknown fields,
    /// a field given twice (also in another case: names match case-insensitively) and numbers in strings are refused.
    /// </summary>
    /// <remarks>Built on first use: a static initializer here could run before the generated <c>Default</c> is set.</remarks>
    public static JsonSerializerOptions Strict => s_strict ??= new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = Default,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Strict.GetTypeInfo(typeof(T));
}
