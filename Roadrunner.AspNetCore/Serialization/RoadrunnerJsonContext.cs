using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

// The generator marks its JsonTypeInfo<T> properties nullable-oblivious on purpose (dotnet/runtime#95341): one context
// serves every annotation of a type. Their PublicAPI lines carry the '~' that says so.
[assembly: SuppressMessage(
    "ApiDesign",
    "RS0041:Public members should not use oblivious types",
    Justification = "Source-generated JsonSerializerContext members are oblivious by design.",
    Scope = "type",
    Target = "~T:Roadrunner.AspNetCore.RoadrunnerJsonContext")]

namespace Roadrunner.AspNetCore;

/// <summary>
/// Source-generated System.Text.Json metadata for the library's public records: <see cref="ListenerInfo"/>,
/// <see cref="DrainResult"/> (each also as <see cref="IReadOnlyList{T}"/>, what <see cref="IListenerManager"/> returns)
/// and the event payloads. With web defaults (camelCase, case-insensitive reading). For trimmed and Native AOT apps, where
/// reflection-based serialization is off, add it to the resolver chain:
/// <code>builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(RoadrunnerJsonContext.Default));</code>
/// The records produce the same JSON with reflection (<see cref="JsonSerializerDefaults.Web"/>) as with this context.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ListenerInfo))]
[JsonSerializable(typeof(IReadOnlyList<ListenerInfo>), TypeInfoPropertyName = "ListenerInfoList")]
[JsonSerializable(typeof(DrainResult))]
[JsonSerializable(typeof(IReadOnlyList<DrainResult>), TypeInfoPropertyName = "DrainResultList")]
[JsonSerializable(typeof(ListenerStartedEvent))]
[JsonSerializable(typeof(ListenerStoppedEvent))]
[JsonSerializable(typeof(ConnectionRejectedEvent))]
[JsonSerializable(typeof(ConnectionAbortedEvent))]
[JsonSerializable(typeof(DrainStartedEvent))]
[JsonSerializable(typeof(DrainAcknowledgedEvent))]
[JsonSerializable(typeof(ConfigurationReloadedEvent))]
[JsonSerializable(typeof(ConfigurationReloadFailedEvent))]
[JsonSerializable(typeof(RequestLimitedEvent))]
[JsonSerializable(typeof(ConnectionLimitClosedEvent))]
public sealed partial class RoadrunnerJsonContext : JsonSerializerContext;
