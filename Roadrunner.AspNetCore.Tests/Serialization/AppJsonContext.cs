using System.Text.Json;
using System.Text.Json.Serialization;

namespace Roadrunner.AspNetCore.Tests.Serialization;

/// <summary>
/// An application's own source-generated context that lists the library's records, as a Native AOT app would: it must
/// compile without generator warnings (warnings are errors here) and produce the same JSON as the library's context.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ListenerInfo))]
[JsonSerializable(typeof(DrainResult))]
[JsonSerializable(typeof(ListenerStartedEvent))]
[JsonSerializable(typeof(ListenerStoppedEvent))]
[JsonSerializable(typeof(ConnectionRejectedEvent))]
[JsonSerializable(typeof(ConnectionAbortedEvent))]
[JsonSerializable(typeof(DrainStartedEvent))]
[JsonSerializable(typeof(DrainAcknowledgedEvent))]
internal sealed partial class AppJsonContext : JsonSerializerContext;
