using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using Xunit.Abstractions;

namespace Roadrunner.AspNetCore.Tests.Example;

/// <summary>
/// Property: whatever arrives at an admin route (structurally valid JSON with random fields, values and types, broken
/// JSON, random bytes, random content types and charsets), the answer is 2xx, or 4xx with a problem-details body, never
/// 5xx; and a rejected request leaves the listeners as they were. Over real sockets, against the example app.
/// </summary>
public sealed class AdminInputPropertyTests(ITestOutputHelper output)
{
    private const string Victim = "victim";

    private static readonly string[] BodyFields =
        ["name", "address", "port", "protocols", "maxConnections", "certificatePath", "certificatePassword", "timeoutMs", "deadlineMs",
         "certificateKeyPath", "maxConnectionsBehavior", "maxRequestBodySize", "requestHeadersTimeoutMs", "keepAliveTimeoutMs", "maxRequestsPerConnection",
         "minRequestBodyDataRate", "maxConcurrentRequests", "rateLimit", "proxyProtocol", "trustedProxies", "clientCertificateMode"];

    private static readonly string[] Charsets =
        ["utf-8", "UTF-8", "\"utf-8\"", "utf8", "utf-16", "utf-16le", "utf-16be", "unicode", "utf-32", "latin1", "iso-8859-1", "us-ascii", "utf-7", "", "\"\"", "foo", "utf-8, utf-16"];

    private static readonly string[] OtherContentTypes =
    [
        "text/plain", "text/json", "application/problem+json", "application/merge-patch+json", "application/xml", "*/*", "application/*",
        "application/json;;", "application/json; charset", "application/json; charset=utf-8; charset=utf-16", "application/json; q=0.5",
        ";", "json", "application/", "/json", "application/json; charset=\"utf-8", "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded", "application/json ; charset = utf-8", "APPLICATION/JSON",
    ];

    [Fact]
    public async Task Random_input_at_every_admin_route_is_answered_2xx_or_a_4xx_problem_and_a_rejection_changes_no_listener()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();
        await app.Manager.StartAsync(Victim, new ListenerOptions());
        var before = Snapshot(app);
        var statuses = new Dictionary<int, int>();
        var clock = Stopwatch.StartNew();

        await AdminRequests.SampleAsync(
            async request =>
            {
                var status = await SendAndCheckAsync(app, admin, request, before);
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
            },
            writeLine: output.WriteLine,
            iter: 500,
            threads: 1,
            print: r => r.ToString());
        output.WriteLine(string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));

        // The run covered the outcomes: accepted (2xx), invalid (400), wrong media type or charset (415), unknown listener (404).
        statuses.Keys.ShouldContain(400);
        statuses.Keys.ShouldContain(415);
        statuses.Keys.ShouldContain(404);
        statuses.Keys.Any(s => s is >= 200 and < 300).ShouldBeTrue(string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
        (await admin.ListNamesAsync()).Order(StringComparer.Ordinal).ShouldBe(before.Keys.Order(StringComparer.Ordinal));
        app.Logs.Where(l => l.Contains("|Error|", StringComparison.Ordinal)).ShouldBeEmpty();
    }

    /// <summary>Sends one request and checks the property; returns the status. Restores what a 2xx changed.</summary>
    private static async Task<int> SendAndCheckAsync(ExampleApp app, HttpClient admin, AdminRequest request, Dictionary<string, ListenerStatus> before)
    {
        using var message = new HttpRequestMessage(request.Method, new Uri(request.Path, UriKind.Relative));
        if (request.Body is not null || request.ContentType is not null)
        {
            message.Content = new ByteArrayContent(request.Body ?? []);
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType).ShouldBeTrue();
            }
        }

        using var response = await admin.SendAsync(message);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        status.ShouldBeLessThan(500, $"{request} -> {text}\n{app.Logs.LastOrDefault(l => l.Contains("|Error|", StringComparison.Ordinal))}");
        status.ShouldBeGreaterThanOrEqualTo(200, request.ToString());

        if (request.Flaw is not null)
        {
            status.ShouldBeOneOf([400, 415], $"{request} -> {text}");
        }

        if (status >= 400)
        {
            response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", $"{request} -> {status} {text}");
            using var problem = JsonDocument.Parse(text);
            problem.RootElement.GetProperty("status").GetInt32().ShouldBe(status, text);
            problem.RootElement.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace(text);
            problem.RootElement.GetProperty("detail").GetString().ShouldNotBeNullOrWhiteSpace(text);
            if (request.Flaw is not null && status == 400)
            {
                problem.RootElement.GetProperty("errors").TryGetProperty(request.Flaw, out _).ShouldBeTrue($"{request} -> {text}");
            }

            Snapshot(app).ShouldBe(before, $"{request} was rejected with {status} but changed the listeners");
            return status;
        }

        if (status != (int)HttpStatusCode.NoContent)
        {
            response.Content.Headers.ContentType?.MediaType.ShouldBe("application/json", $"{request} -> {status} {text}");
            using var body = JsonDocument.Parse(text);
            body.RootElement.ValueKind.ShouldBe(JsonValueKind.Object);
        }

        // Accepted: undo it, so that every request meets the same listeners.
        foreach (var name in app.Manager.Names.Where(n => !before.ContainsKey(n)).ToList())
        {
            await app.Manager.StopAsync(name);
        }

        if (app.Manager.GetListener(Victim) is null)
        {
            // Deleted, or drained (a drain answers once the listener is gone and its name free).
            await app.Manager.StartAsync(Victim, new ListenerOptions());
        }
        else if (request.Method == HttpMethod.Patch)
        {
            await app.Manager.UpdateAsync(Victim, new ListenerOptions());
        }

        Snapshot(app).ShouldBe(before, $"{request} -> {status}: could not restore the listeners");
        return status;
    }

    private static Dictionary<string, ListenerStatus> Snapshot(ExampleApp app) =>
        app.Manager.GetListeners().ToDictionary(l => l.Name, l => l.Status, StringComparer.Ordinal);

    // ---- Generators ------------------------------------------------------------------------------------------------

    private static readonly Gen<string> Token = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"], 1, 12];

    /// <summary>Any text without lone surrogates, NUL or other C0 controls, so that it can go into a URL path.</summary>
    private static readonly Gen<string> AnyText = Gen.String[Gen.Char['\u0020', '\uD7FF'], 0, 20];

    private static readonly Gen<string> JsonString = Gen.Frequency(
        (3, AnyText.Select(s => JsonSerializer.Serialize(s))),
        (1, Gen.String[Gen.Char['\u0000', '\u001F'], 1, 3].Select(s => JsonSerializer.Serialize(s))),
        (2, Gen.OneOf("\"\"", "\"0\"", "\"100\"", "\"-1\"", "\"1e3\"", "\"Http1\"", "\"Http2\"", "\"Http1AndHttp2\"", "\"http2\"",
            "\" Http2\"", "\"Http1, Http2\"", "\"3\"", "\"127.0.0.1\"", "\"::1\"", "\"0.0.0.0\"", "\"localhost\"", "\"203.0.113.7\"",
            "\"127.1\"", "\"fe80::1%eth0\"", "\"/\"", "\"/etc/passwd\"", "\"/nonexistent/server.pfx\"", "\"\\ud800\"", "\"a\\u0000b\"")));

    private static readonly Gen<string> JsonNumber = Gen.Frequency(
        (3, Gen.Long.Select(n => n.ToString(CultureInfo.InvariantCulture))),
        (2, Gen.Int[-5, 700_000].Select(n => n.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.Double.Where(double.IsFinite).Select(d => d.ToString("R", CultureInfo.InvariantCulture))),
        (1, Gen.OneOf("0", "-0", "0.0", "1.5", "1e3", "1E400", "-1e400", "99999999999999999999999", "0.000001", "65535", "65536", "600000", "600001")));

    private static readonly Gen<string> JsonScalar = Gen.Frequency(
        (1, Gen.OneOf("null", "true", "false")),
        (3, JsonNumber),
        (3, JsonString));

    private static readonly Gen<string> JsonValue = Gen.Recursive<string>((depth, value) => depth >= 3
        ? JsonScalar
        : Gen.Frequency(
            (6, JsonScalar),
            (1, value.Array[0, 3].Select(items => $"[{string.Join(',', items)}]")),
            (1, Gen.Select(JsonString, value).Array[0, 3].Select(Object))));

    /// <summary>Values meant for one field: mostly of the right type and near the edges, else anything.</summary>
    private static Gen<string> FieldValue(string field) => field switch
    {
        // No integer that could bind a real port other than 0: the test must not take ports other tests may be given.
        "port" => Gen.Frequency(
            (3, Gen.OneOf("0", "-1", "65536", "70000", "2147483648", "1.5", "\"0\"", "\"80\"", "null", "true", "[]", "{}", "1e400", "0.0", "-0")),
            (1, JsonValue.Where(v => !int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535))),
        "name" => Gen.Frequency(
            (4, Token.Select(t => JsonSerializer.Serialize("p" + t))),
            (2, Gen.OneOf("\"victim\"", "\"VICTIM\"", "\"admin\"", "\"public\"", "\"\"", "\"a b\"", "\"t1\\n\"", "\"t1/x\"", "42", "null")),
            (1, JsonValue)),
        "timeoutMs" or "deadlineMs" or "maxConnections" or "maxConcurrentRequests" or "maxRequestBodySize" or "requestHeadersTimeoutMs"
            or "keepAliveTimeoutMs" or "maxRequestsPerConnection" => Gen.Frequency((3, JsonNumber), (1, JsonValue)),
        "rateLimit" => Gen.Frequency(
            (2, Gen.Select(JsonNumber, JsonNumber).Select((a, b) => $"{{\"permitsPerSecond\":{a},\"burst\":{b}}}")),
            (1, JsonValue)),
        "minRequestBodyDataRate" => Gen.Frequency(
            (2, Gen.Select(JsonNumber, JsonNumber).Select((a, b) => $"{{\"bytesPerSecond\":{a},\"gracePeriodMs\":{b}}}")),
            (1, JsonValue)),
        "trustedProxies" => Gen.Frequency((2, JsonString.Array[0, 3].Select(items => $"[{string.Join(',', items)}]")), (1, JsonValue)),
        _ => JsonValue,
    };

    private static readonly Gen<string> FieldName = Gen.Frequency(
        (6, Gen.OneOf(BodyFields)),
        (1, Gen.OneOf(BodyFields).Select(f => char.ToUpperInvariant(f[0]) + f[1..])),
        (1, Gen.OneOf(BodyFields).Select(f => f.ToUpperInvariant())),
        (1, AnyText));

    private static readonly Gen<(string Key, string Value)> Property =
        FieldName.SelectMany(name => FieldValue(name).Select(value => (JsonSerializer.Serialize(name), value)));

    private static readonly Gen<string> JsonObject = Property.Array[0, 6].Select(Object);

    /// <summary>
    /// A valid body for the route, more than half the time with one flaw that strict input must catch, and the field
    /// the 400 must name: a field twice (also in another case), a number in a string, an unknown field, an enum as a
    /// number or a list.
    /// </summary>
    private static Gen<(string Json, string? Flaw)> NearlyValid(string path)
    {
        var valid = path.EndsWith("/certificate", StringComparison.Ordinal)
            ? Gen.OneOf("\"/nonexistent/x.pfx\"", "\"/etc/passwd\"").Select(file => new[] { ("certificatePath", file), ("certificatePassword", "\"pw\"") })
            : path.StartsWith("PATCH ", StringComparison.Ordinal)
            ? Gen.Select(Gen.Int[1, 1000], Gen.Int[1, 1000]).Select((concurrent, perConnection) => new[]
            {
                ("maxConcurrentRequests", concurrent.ToString(CultureInfo.InvariantCulture)),
                ("maxRequestsPerConnection", perConnection.ToString(CultureInfo.InvariantCulture)),
            })
            : path.EndsWith("/drain", StringComparison.Ordinal)
            ? Gen.Int[0, 600_000].Select(ms => new[] { ("timeoutMs", ms.ToString(CultureInfo.InvariantCulture)) })
            : path.EndsWith("/notify-drain", StringComparison.Ordinal)
                ? Gen.Int[0, 600_000].Select(ms => new[] { ("deadlineMs", ms.ToString(CultureInfo.InvariantCulture)) })
                : Gen.Select(Token, Gen.Bool.Array[4], Gen.OneOf("\"Http1\"", "\"Http2\"", "\"http1\""), Gen.Int[1, 1000]).Select((name, use, protocols, cap) =>
                    new[]
                    {
                        ("name", JsonSerializer.Serialize("p" + name)),
                        use[0] ? ("port", "0") : default,
                        use[1] ? ("address", "\"127.0.0.1\"") : default,
                        use[2] ? ("protocols", protocols) : default,
                        use[3] ? ("maxConnections", cap.ToString(CultureInfo.InvariantCulture)) : default,
                    }.Where(p => p.Item1 is not null).ToArray());
        return Gen.Select(valid, Gen.Int[0, 7], Gen.Int[0, 100]).Select((properties, flaw, pick) =>
        {
            var (key, value) = properties[pick % properties.Length];
            var firstNumber = properties.FirstOrDefault(p => !p.Item2.StartsWith('"')).Item1;
            var (flawed, field) = flaw switch
            {
                0 => ([.. properties, (key, value)], key),
                1 => ([.. properties, (char.ToUpperInvariant(key[0]) + key[1..], value)], key),
                2 => (properties.Select(p => p.Item2.StartsWith('"') ? p : (p.Item1, $"\"{p.Item2}\"")).ToArray(), firstNumber),
                3 => ([.. properties, ("extra", "1")], "extra"),
                4 when path.StartsWith("PATCH ", StringComparison.Ordinal) => ([.. properties, ("maxConnectionsBehavior", pick % 2 == 0 ? "1" : "\"Close, Backlog\"")], "maxConnectionsBehavior"),
                4 => ([.. properties, ("protocols", pick % 2 == 0 ? "1" : "\"Http1, Http2\"")], "protocols"),
                _ => (properties, (string?)null),
            };
            return (Object([.. flawed.Select(p => (JsonSerializer.Serialize(p.Item1), p.Item2))]), field);
        });
    }

    private static Gen<(byte[]? Body, string? Flaw)> Body(string path) => Gen.Frequency(
        (6, NearlyValid(path).Select(b => (Utf8(b.Json), b.Flaw))),
        (6, Unflawed(JsonObject.Select(Utf8))),
        (2, Unflawed(JsonValue.Select(Utf8))),
        (2, Unflawed(Gen.Select(JsonObject, Gen.Double[0, 1]).Select((json, cut) => Utf8(json[..(int)(json.Length * cut)])))),
        (1, Unflawed(JsonObject.Select(json => (byte[]?)Encoding.Unicode.GetBytes(json)))),
        (1, Unflawed(JsonObject.Select(json => (byte[]?)Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(json)).ToArray()))),
        (2, Unflawed(Gen.Byte.Array[0, 64].Select(bytes => (byte[]?)bytes))),
        (2, Unflawed(Gen.Const((byte[]?)null))));

    private static Gen<(byte[]? Body, string? Flaw)> Unflawed(Gen<byte[]?> body) => body.Select(b => (b, (string?)null));

    private static readonly Gen<string?> ContentType = Gen.Frequency(
        (10, Gen.Const<string?>("application/json")),
        (3, Gen.OneOf(Charsets).Select(c => (string?)$"application/json; charset={c}")),
        (2, Gen.OneOf(OtherContentTypes).Select(t => (string?)t)),
        (1, Gen.String[Gen.Char['\u0020', '\u007E'], 0, 30].Select(s => (string?)s.Trim())),
        (1, Gen.Const((string?)null)));

    /// <summary>A listener name for the path: the victim, an unknown one, or odd text (never admin or public).</summary>
    private static readonly Gen<string> PathName = Gen.Frequency(
        (3, Gen.Const(Victim)),
        (2, Gen.Const("nope")),
        (1, AnyText.Where(s => s.Length > 0 && s is not "." and not ".." && !s.Equals("admin", StringComparison.OrdinalIgnoreCase) && !s.Equals("public", StringComparison.OrdinalIgnoreCase))));

    private static readonly Gen<(HttpMethod Method, string Path)> Route = Gen.Frequency(
        (3, Gen.Const((HttpMethod.Post, "/admin/listeners"))),
        (1, PathName.Select(n => (HttpMethod.Delete, $"/admin/listeners/{Uri.EscapeDataString(n)}"))),
        (2, PathName.Select(n => (HttpMethod.Post, $"/admin/listeners/{Uri.EscapeDataString(n)}/drain"))),
        (2, PathName.Select(n => (HttpMethod.Post, $"/admin/listeners/{Uri.EscapeDataString(n)}/notify-drain"))),
        (2, PathName.Select(n => (HttpMethod.Patch, $"/admin/listeners/{Uri.EscapeDataString(n)}"))),
        (1, PathName.Select(n => (HttpMethod.Post, $"/admin/listeners/{Uri.EscapeDataString(n)}/certificate"))));

    private static readonly Gen<AdminRequest> AdminRequests =
        Route.SelectMany(route => Gen.Select(Body(route.Method == HttpMethod.Patch ? $"PATCH {route.Path}" : route.Path), ContentType).Select((body, contentType) =>
            new AdminRequest(route.Method, route.Path, body.Body, contentType, route.Method == HttpMethod.Post || route.Method == HttpMethod.Patch ? body.Flaw : null)));

    private static string Object((string Key, string Value)[] properties) =>
        "{" + string.Join(',', properties.Select(p => $"{p.Key}:{p.Value}")) + "}";

    private static byte[]? Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>One generated request, printed readably when the property fails.</summary>
    /// <param name="Flaw">The field a POST body is known to get wrong: the answer must be 400 naming it (or 415).</param>
    private sealed record AdminRequest(HttpMethod Method, string Path, byte[]? Body, string? ContentType, string? Flaw)
    {
        public override string ToString()
        {
            var body = Body is null ? "(no body)" : $"{Body.Length} bytes {JsonSerializer.Serialize(Encoding.UTF8.GetString(Body))} = {Convert.ToHexString(Body.AsSpan(0, Math.Min(Body.Length, 64)))}";
            return $"{Method} {Path} Content-Type: {ContentType ?? "(none)"} {body}{(Flaw is null ? string.Empty : $" (flaw: {Flaw})")}";
        }
    }
}
