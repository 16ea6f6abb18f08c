using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Limits;

/// <summary>The limits as options: validation naming the key, nested configuration binding, and their JSON in ListenerInfo.</summary>
public sealed class LimitOptionsTests
{
    public static TheoryData<string, string> BadLimits => new()
    {
        { "MaxRequestBodySize", "Roadrunner:Listeners:bad:MaxRequestBodySize: must be 0 or more bytes" },
        { "RequestHeadersTimeout", "Roadrunner:Listeners:bad:RequestHeadersTimeout: must be at least 1 second" },
        { "KeepAliveTimeout", "Roadrunner:Listeners:bad:KeepAliveTimeout: must be at least 1 second" },
        { "MaxRequestsPerConnection", "Roadrunner:Listeners:bad:MaxRequestsPerConnection: must be at least 1" },
        { "MinRequestBodyDataRate:BytesPerSecond", "Roadrunner:Listeners:bad:MinRequestBodyDataRate:BytesPerSecond: must be a finite number greater than 0" },
        { "MinRequestBodyDataRate:GracePeriod", "Roadrunner:Listeners:bad:MinRequestBodyDataRate:GracePeriod: must be more than 1 second" },
        { "MaxConcurrentRequests", "Roadrunner:Listeners:bad:MaxConcurrentRequests: must be at least 1" },
        { "RateLimit:PermitsPerSecond", "Roadrunner:Listeners:bad:RateLimit:PermitsPerSecond: must be at least 1" },
        { "RateLimit:Burst", "Roadrunner:Listeners:bad:RateLimit:Burst: must be at least 1" },
        { "MaxConnectionsBehavior", "Roadrunner:Listeners:bad:MaxConnectionsBehavior: ServiceUnavailable needs MaxConnections" },
    };

    [Theory]
    [MemberData(nameof(BadLimits))]
    public async Task A_bad_limit_is_refused_naming_the_key_and_leaves_nothing_behind(string key, string message)
    {
        await using var app = await TestApp.StartAsync();
        var options = new ListenerOptions();
        switch (key)
        {
            case "MaxRequestBodySize":
                options.MaxRequestBodySize = -1;
                break;
            case "RequestHeadersTimeout":
                options.RequestHeadersTimeout = TimeSpan.FromMilliseconds(500);
                break;
            case "KeepAliveTimeout":
                options.KeepAliveTimeout = TimeSpan.Zero;
                break;
            case "MaxRequestsPerConnection":
                options.MaxRequestsPerConnection = 0;
                break;
            case "MinRequestBodyDataRate:BytesPerSecond":
                options.MinRequestBodyDataRate = new() { BytesPerSecond = 0, GracePeriod = TimeSpan.FromSeconds(5) };
                break;
            case "MinRequestBodyDataRate:GracePeriod":
                options.MinRequestBodyDataRate = new() { BytesPerSecond = 100, GracePeriod = TimeSpan.FromSeconds(1) };
                break;
            case "MaxConcurrentRequests":
                options.MaxConcurrentRequests = -3;
                break;
            case "RateLimit:PermitsPerSecond":
                options.RateLimit = new() { PermitsPerSecond = 0, Burst = 5 };
                break;
            case "RateLimit:Burst":
                options.RateLimit = new() { PermitsPerSecond = 5, Burst = 0 };
                break;
            case "MaxConnectionsBehavior":
                options.MaxConnectionsBehavior = MaxConnectionsBehavior.ServiceUnavailable;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(key), key, null);
        }

        var error = await Should.ThrowAsync<OptionsValidationException>(() => app.Manager.StartAsync("bad", options));

        error.Message.ShouldContain(message);
        error.Failures.Count().ShouldBe(1);
        app.Manager.Names.ShouldBeEmpty();
    }

    [Fact]
    public async Task Nested_limits_bind_from_configuration_and_show_in_the_listener_info()
    {
        await using var app = await TestApp.StartAsync(configuration: new Dictionary<string, string?>
        {
            ["Roadrunner:Listeners:a:Port"] = "0",
            ["Roadrunner:Listeners:a:MaxRequestBodySize"] = "1048576",
            ["Roadrunner:Listeners:a:RequestHeadersTimeout"] = "00:00:05",
            ["Roadrunner:Listeners:a:KeepAliveTimeout"] = "00:00:30",
            ["Roadrunner:Listeners:a:MaxRequestsPerConnection"] = "100",
            ["Roadrunner:Listeners:a:MinRequestBodyDataRate:BytesPerSecond"] = "500",
            ["Roadrunner:Listeners:a:MinRequestBodyDataRate:GracePeriod"] = "00:00:03",
            ["Roadrunner:Listeners:a:MaxConcurrentRequests"] = "64",
            ["Roadrunner:Listeners:a:RateLimit:PermitsPerSecond"] = "5",
            ["Roadrunner:Listeners:a:RateLimit:Burst"] = "10",
            ["Roadrunner:Listeners:a:MaxConnections"] = "10",
            ["Roadrunner:Listeners:a:MaxConnectionsBehavior"] = "ServiceUnavailable",
            ["Roadrunner:Listeners:b:Port"] = "0",
        });

        var a = app.Manager.GetListener("a")!;
        a.MaxRequestBodySize.ShouldBe(1048576);
        a.RequestHeadersTimeout.ShouldBe(TimeSpan.FromSeconds(5));
        a.KeepAliveTimeout.ShouldBe(TimeSpan.FromSeconds(30));
        a.MaxRequestsPerConnection.ShouldBe(100);
        a.MinRequestBodyDataRate.ShouldBe(new ListenerDataRate { BytesPerSecond = 500, GracePeriod = TimeSpan.FromSeconds(3) });
        a.MaxConcurrentRequests.ShouldBe(64);
        a.RateLimit.ShouldBe(new ListenerRateLimit { PermitsPerSecond = 5, Burst = 10 });
        a.MaxConnectionsBehavior.ShouldBe(MaxConnectionsBehavior.ServiceUnavailable);

        var b = app.Manager.GetListener("b")!;
        b.RateLimit.ShouldBeNull();
        b.MinRequestBodyDataRate.ShouldBeNull();
        b.MaxConcurrentRequests.ShouldBeNull();
    }

    [Fact]
    public async Task A_bad_nested_limit_in_configuration_stops_the_app_naming_the_nested_key()
    {
        var error = await Should.ThrowAsync<OptionsValidationException>(() => TestApp.StartAsync(configuration: new Dictionary<string, string?>
        {
            ["Roadrunner:Listeners:a:RateLimit:PermitsPerSecond"] = "5",
        }));

        error.Message.ShouldContain("Roadrunner:Listeners:a:RateLimit:Burst: must be at least 1");
    }

    [Fact]
    public void Limits_serialize_as_milliseconds_and_nested_objects_and_read_back_equal()
    {
        var info = new ListenerInfo
        {
            Name = "t1",
            EndPoint = new IPEndPoint(IPAddress.Loopback, 5080),
            Scheme = "http",
            Protocols = ListenerProtocols.Http1,
            Status = ListenerStatus.Accepting,
            ActiveConnections = 0,
            MaxConnections = 10,
            RequestsServed = 0,
            ConnectionsRejected = 0,
            StartedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
            MaxConnectionsBehavior = MaxConnectionsBehavior.ServiceUnavailable,
            MaxRequestBodySize = 1024,
            RequestHeadersTimeout = TimeSpan.FromSeconds(2),
            KeepAliveTimeout = TimeSpan.FromSeconds(30),
            MaxRequestsPerConnection = 3,
            MinRequestBodyDataRate = new ListenerDataRate { BytesPerSecond = 240, GracePeriod = TimeSpan.FromSeconds(5) },
            MaxConcurrentRequests = 2,
            RateLimit = new ListenerRateLimit { PermitsPerSecond = 5, Burst = 10 },
            RequestsThrottled = 7,
            RequestsRateLimited = 8,
        };

        var reflection = JsonSerializer.Serialize(info, JsonSerializerOptions.Web);
        var context = JsonSerializer.Serialize(info, RoadrunnerJsonContext.Default.ListenerInfo);

        context.ShouldBe(reflection);
        context.ShouldEndWith("""
            "maxConnectionsBehavior":"ServiceUnavailable","maxRequestBodySize":1024,"requestHeadersTimeoutMs":2000,"keepAliveTimeoutMs":30000,"maxRequestsPerConnection":3,"minRequestBodyDataRate":{"bytesPerSecond":240,"gracePeriodMs":5000},"maxConcurrentRequests":2,"rateLimit":{"permitsPerSecond":5,"burst":10},"throttled":7,"rateLimited":8}
            """);
        JsonSerializer.Deserialize(context, RoadrunnerJsonContext.Default.ListenerInfo).ShouldBe(info);
        JsonSerializer.Deserialize<ListenerInfo>(context, JsonSerializerOptions.Web).ShouldBe(info);
    }

    [Fact]
    public void The_limit_events_serialize_with_address_port_and_reason()
    {
        var limited = new RequestLimitedEvent("t1", new IPEndPoint(IPAddress.Loopback, 40000), "rate_limit");
        var closed = new ConnectionLimitClosedEvent("t1", "0HN1", new IPEndPoint(IPAddress.Loopback, 40001), "keep_alive_timeout");

        JsonSerializer.Serialize(limited, RoadrunnerJsonContext.Default.RequestLimitedEvent)
            .ShouldBe("""{"listenerName":"t1","remoteAddress":"127.0.0.1","remotePort":40000,"reason":"rate_limit"}""");
        JsonSerializer.Serialize(closed, RoadrunnerJsonContext.Default.ConnectionLimitClosedEvent)
            .ShouldBe("""{"listenerName":"t1","connectionId":"0HN1","remoteAddress":"127.0.0.1","remotePort":40001,"reason":"keep_alive_timeout"}""");
    }

    [Fact]
    public void Cloned_options_do_not_share_the_nested_limits()
    {
        var options = new ListenerOptions
        {
            RateLimit = new ListenerRateLimit { PermitsPerSecond = 5, Burst = 5 },
            MinRequestBodyDataRate = new ListenerDataRate { BytesPerSecond = 10, GracePeriod = TimeSpan.FromSeconds(2) },
        };

        var clone = options.Clone();
        options.RateLimit.Burst = 50;
        options.MinRequestBodyDataRate.BytesPerSecond = 99;

        clone.RateLimit!.Burst.ShouldBe(5);
        clone.MinRequestBodyDataRate!.BytesPerSecond.ShouldBe(10);
    }
}
