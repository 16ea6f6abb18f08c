using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Roadrunner.AspNetCore.Tests.Serialization;

/// <summary>
/// The public records serialize to one documented shape, with reflection (web defaults), with the library's
/// <see cref="RoadrunnerJsonContext"/> and with an application's own source-generated context, and read back equal.
/// </summary>
public sealed class JsonShapeTests
{
    private static readonly DateTimeOffset StartedAt = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public static TheoryData<string> Serializers => ["reflection", "library context", "app context"];

    [Theory]
    [MemberData(nameof(Serializers))]
    public void ListenerInfo_is_an_address_and_a_port_with_string_enums_and_no_endpoint_or_url(string serializer)
    {
        var info = Listener(new IPEndPoint(IPAddress.Loopback, 5080));

        var json = Serialize(info, serializer);

        json.ShouldBe("""{"name":"t1","address":"127.0.0.1","port":5080,"scheme":"http","protocols":"Http1","status":"Accepting","activeConnections":2,"maxConnections":100,"requestsServed":42,"rejected":3,"startedAt":"2025-01-02T03:04:05+00:00","maxConnectionsBehavior":"Close","maxRequestBodySize":null,"requestHeadersTimeoutMs":null,"keepAliveTimeoutMs":null,"maxRequestsPerConnection":null,"minRequestBodyDataRate":null,"maxConcurrentRequests":null,"rateLimit":null,"throttled":0,"rateLimited":0}""");
        Deserialize<ListenerInfo>(json, serializer).ShouldBe(info);
    }

    [Theory]
    [MemberData(nameof(Serializers))]
    public void ListenerInfo_with_an_ipv6_endpoint_and_no_cap_reads_back_equal(string serializer)
    {
        var info = Listener(new IPEndPoint(IPAddress.IPv6Loopback, 443)) with
        {
            Scheme = "https",
            Protocols = ListenerProtocols.Http1AndHttp2,
            Status = ListenerStatus.Draining,
            MaxConnections = null,
        };

        var json = Serialize(info, serializer);

        json.ShouldContain("""
            "address":"::1","port":443,"scheme":"https","protocols":"Http1AndHttp2","status":"Draining"
            """);
        json.ShouldContain("\"maxConnections\":null");
        var read = Deserialize<ListenerInfo>(json, serializer);
        read.ShouldBe(info);
        read.EndPoint.ShouldBe(new IPEndPoint(IPAddress.IPv6Loopback, 443));
        read.Url.ShouldBe(new Uri("https://[::1]:443"));
    }

    [Theory]
    [MemberData(nameof(Serializers))]
    public void A_list_of_listeners_is_a_json_array_of_the_same_objects(string serializer)
    {
        IReadOnlyList<ListenerInfo> list = [Listener(new IPEndPoint(IPAddress.Loopback, 1)), Listener(new IPEndPoint(IPAddress.Loopback, 2)) with { Name = "t2" }];

        var json = serializer switch
        {
            "library context" => JsonSerializer.Serialize(list, RoadrunnerJsonContext.Default.ListenerInfoList),
            _ => JsonSerializer.Serialize(list, JsonSerializerOptions.Web),
        };

        using var document = JsonDocument.Parse(json);
        document.RootElement.GetArrayLength().ShouldBe(2);
        document.RootElement[1].GetProperty("name").GetString().ShouldBe("t2");
        document.RootElement[1].GetProperty("port").GetInt32().ShouldBe(2);
    }

    [Fact]
    public void ListenerInfo_without_a_port_in_json_is_rejected_like_any_other_missing_field()
    {
        const string json = """{"name":"t1","address":"127.0.0.1","scheme":"http","protocols":"Http1","status":"Accepting","activeConnections":0,"maxConnections":null,"requestsServed":0,"rejected":0,"startedAt":"2025-01-02T03:04:05+00:00"}""";

        Should.Throw<JsonException>(() => JsonSerializer.Deserialize<ListenerInfo>(json, JsonSerializerOptions.Web)).Message.ShouldContain("port");
        Should.Throw<JsonException>(() => JsonSerializer.Deserialize(json, RoadrunnerJsonContext.Default.ListenerInfo)).Message.ShouldContain("port");
    }

    [Fact]
    public void Setting_address_or_port_in_code_replaces_that_half_of_the_endpoint()
    {
        var info = Listener(new IPEndPoint(IPAddress.Loopback, 5080));

        (info with { Port = 6000 }).EndPoint.ShouldBe(new IPEndPoint(IPAddress.Loopback, 6000));
        (info with { Address = "::1" }).EndPoint.ShouldBe(new IPEndPoint(IPAddress.IPv6Loopback, 5080));
        Should.Throw<FormatException>(() => info with { Address = "localhost" });
    }

    [Theory]
    [MemberData(nameof(Serializers))]
    public void DrainResult_has_a_string_outcome_and_elapsed_in_whole_milliseconds(string serializer)
    {
        var result = new DrainResult("t1", DrainOutcome.TimedOut, 3, 1, 2, TimeSpan.FromMilliseconds(5003));

        var json = Serialize(result, serializer);

        json.ShouldBe("""{"listenerName":"t1","outcome":"TimedOut","gracefulConnections":3,"abortedConnections":1,"acknowledgements":2,"elapsedMs":5003}""");
        var read = Deserialize<DrainResult>(json, serializer);
        read.ShouldBe(result);
        read.Elapsed.ShouldBe(TimeSpan.FromMilliseconds(5003));
    }

    [Fact]
    public void ElapsedMs_truncates_below_a_millisecond_and_setting_it_sets_elapsed()
    {
        var result = new DrainResult("t1", DrainOutcome.Drained, 0, 0, 0, TimeSpan.FromTicks(3475));

        result.ElapsedMs.ShouldBe(0);
        JsonSerializer.Serialize(result, JsonSerializerOptions.Web).ShouldEndWith("\"elapsedMs\":0}");
        (result with { ElapsedMs = 250 }).Elapsed.ShouldBe(TimeSpan.FromMilliseconds(250));
    }

    [Theory]
    [MemberData(nameof(Serializers))]
    public void Every_event_payload_has_its_documented_shape_and_reads_back_equal(string serializer)
    {
        var deadline = new DateTimeOffset(2025, 1, 2, 3, 4, 35, TimeSpan.Zero);
        var peer = new IPEndPoint(IPAddress.Loopback, 50312);

        Check(new ListenerStartedEvent("t1", new IPEndPoint(IPAddress.Loopback, 5080), "https", ListenerProtocols.Http1AndHttp2), """{"listenerName":"t1","address":"127.0.0.1","port":5080,"scheme":"https","protocols":"Http1AndHttp2"}""");
        Check(new ListenerStoppedEvent("t1", 2), """{"listenerName":"t1","openConnections":2}""");
        Check(new ConnectionRejectedEvent("t1", peer, "max_connections"), """{"listenerName":"t1","remoteAddress":"127.0.0.1","remotePort":50312,"reason":"max_connections"}""");
        Check(new ConnectionRejectedEvent("t1", null, "max_connections"), """{"listenerName":"t1","remoteAddress":null,"remotePort":null,"reason":"max_connections"}""");
        Check(new ConnectionAbortedEvent("t1", "0HNABC", new IPEndPoint(IPAddress.IPv6Loopback, 50312)), """{"listenerName":"t1","connectionId":"0HNABC","remoteAddress":"::1","remotePort":50312}""");
        Check(new ConnectionAbortedEvent("t1", "0HNABC", null), """{"listenerName":"t1","connectionId":"0HNABC","remoteAddress":null,"remotePort":null}""");
        Check(new DrainStartedEvent(null, deadline, 4), """{"listenerName":null,"deadline":"2025-01-02T03:04:35+00:00","connections":4}""");
        Check(new DrainAcknowledgedEvent("t1", "127.0.0.1:50312", "0HNABC:00000001", deadline, TimeSpan.FromMilliseconds(4000)), """{"listenerName":"t1","peer":"127.0.0.1:50312","requestId":"0HNABC:00000001","deadline":"2025-01-02T03:04:35+00:00","remainingGraceMs":4000}""");
        Check(new DrainAcknowledgedEvent(null, null, "r", null, null), """{"listenerName":null,"peer":null,"requestId":"r","deadline":null,"remainingGraceMs":null}""");

        void Check<T>(T payload, string expected)
        {
            var json = Serialize(payload, serializer);
            json.ShouldBe(expected);
            Deserialize<T>(json, serializer).ShouldBe(payload);
        }
    }

    [Fact]
    public void Enums_read_back_from_their_names_under_web_defaults()
    {
        JsonSerializer.Deserialize<ListenerStatus>("\"Suspended\"", JsonSerializerOptions.Web).ShouldBe(ListenerStatus.Suspended);
        JsonSerializer.Deserialize("\"Http2\"", RoadrunnerJsonContext.Default.ListenerProtocols).ShouldBe(ListenerProtocols.Http2);
        JsonSerializer.Serialize(DrainOutcome.Drained).ShouldBe("\"Drained\""); // Even without web defaults.
    }

    private static ListenerInfo Listener(IPEndPoint endPoint) => new()
    {
        Name = "t1",
        EndPoint = endPoint,
        Scheme = "http",
        Protocols = ListenerProtocols.Http1,
        Status = ListenerStatus.Accepting,
        ActiveConnections = 2,
        MaxConnections = 100,
        RequestsServed = 42,
        ConnectionsRejected = 3,
        StartedAt = StartedAt,
    };

    private static string Serialize<T>(T value, string serializer) => serializer switch
    {
        "reflection" => JsonSerializer.Serialize(value, JsonSerializerOptions.Web),
        "library context" => JsonSerializer.Serialize(value, TypeInfo<T>(RoadrunnerJsonContext.Default)),
        "app context" => JsonSerializer.Serialize(value, TypeInfo<T>(AppJsonContext.Default)),
        _ => throw new ArgumentOutOfRangeException(nameof(serializer)),
    };

    private static T Deserialize<T>(string json, string serializer) => serializer switch
    {
        "reflection" => JsonSerializer.Deserialize<T>(json, JsonSerializerOptions.Web)!,
        "library context" => JsonSerializer.Deserialize(json, TypeInfo<T>(RoadrunnerJsonContext.Default))!,
        "app context" => JsonSerializer.Deserialize(json, TypeInfo<T>(AppJsonContext.Default))!,
        _ => throw new ArgumentOutOfRangeException(nameof(serializer)),
    };

    private static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerContext context) => (JsonTypeInfo<T>)context.GetTypeInfo(typeof(T))!;
}
