using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Roadrunner.AspNetCore.Tests.Example;

/// <summary>Small HTTP and JSON helpers for talking to the example app.</summary>
public static class ExampleHttp
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json, string contentType = "application/json") =>
        client.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, contentType));

    /// <summary>POSTs bytes with a Content-Type sent as given, even one HttpClient would refuse to parse.</summary>
    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string path, byte[] body, string? contentType)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return client.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 problem with the status and a non-empty detail, and returns it.</summary>
    public static async Task<JsonElement> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", text);
        using var document = JsonDocument.Parse(text);
        var problem = document.RootElement.Clone();
        problem.GetProperty("status").GetInt32().ShouldBe((int)status);
        problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        problem.GetProperty("detail").GetString().ShouldNotBeNullOrWhiteSpace();
        return problem;
    }

    public static string Detail(this JsonElement problem) => problem.GetProperty("detail").GetString()!;

    /// <summary>Creates a listener through the admin API (201 expected) and returns its JSON object.</summary>
    public static async Task<JsonElement> CreateListenerAsync(this HttpClient admin, string name, string? extraJson = null)
    {
        var body = extraJson is null ? $$"""{"name":"{{name}}"}""" : $$"""{"name":"{{name}}",{{extraJson}}}""";
        using var response = await admin.PostJsonAsync("/admin/listeners", body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, text);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static Uri UrlOf(JsonElement listener) =>
        new($"{listener.GetProperty("scheme").GetString()}://{listener.GetProperty("address").GetString()}:{listener.GetProperty("port").GetInt32()}");

    public static async Task<string[]> ListNamesAsync(this HttpClient admin)
    {
        using var response = await admin.GetAsync(new Uri("/admin/listeners", UriKind.Relative));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var list = await response.JsonAsync();
        return [.. list.EnumerateArray().Select(l => l.GetProperty("name").GetString()!)];
    }

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string path, string json) =>
        client.PatchAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>GETs one listener's JSON object (200 expected).</summary>
    public static async Task<JsonElement> GetListenerJsonAsync(this HttpClient admin, string name)
    {
        using var response = await admin.GetAsync(new Uri($"/admin/listeners/{name}", UriKind.Relative));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await response.JsonAsync();
    }

    public static MediaTypeHeaderValue? MediaType(this HttpResponseMessage response) => response.Content.Headers.ContentType;
}
