using System.Net;
using System.Text.Json;
using Roadrunner.AspNetCore.Tests.Example;

namespace Roadrunner.AspNetCore.Tests.Admin;

/// <summary>.NET's own OpenAPI generation (AddOpenApi/MapOpenApi in the example) describes every admin operation completely.</summary>
public sealed class OpenApiTests
{
    private static readonly (string Path, string Method, string OperationId, string[] Statuses)[] Operations =
    [
        ("/admin/listeners", "get", "Roadrunner.ListListeners", ["200", "401", "403"]),
        ("/admin/listeners", "post", "Roadrunner.CreateListener", ["201", "400", "401", "403", "409", "413", "415"]),
        ("/admin/listeners/{name}", "get", "Roadrunner.GetListener", ["200", "401", "403", "404"]),
        ("/admin/listeners/{name}", "delete", "Roadrunner.DeleteListener", ["204", "401", "403", "404"]),
        ("/admin/listeners/{name}/drain", "post", "Roadrunner.DrainListener", ["200", "202", "400", "401", "403", "404", "413", "415"]),
        ("/admin/listeners/{name}/notify-drain", "post", "Roadrunner.NotifyDrain", ["202", "400", "401", "403", "404", "413", "415"]),
        ("/admin/listeners/{name}/suspend", "post", "Roadrunner.SuspendListener", ["200", "401", "403", "404", "409"]),
        ("/admin/listeners/{name}/resume", "post", "Roadrunner.ResumeListener", ["200", "401", "403", "404", "409"]),
        ("/admin/listeners/{name}", "patch", "Roadrunner.UpdateListener", ["200", "400", "401", "403", "404", "409", "413", "415"]),
        ("/admin/listeners/{name}/certificate", "post", "Roadrunner.ReplaceCertificate", ["200", "400", "401", "403", "404", "409", "413", "415"]),
        ("/admin/ui", "get", "Roadrunner.Dashboard", ["200", "401", "403"]),
        ("/admin/ui/events", "get", "Roadrunner.DashboardEvents", ["200", "401", "403"]),
    ];

    [Fact]
    public async Task The_document_lists_every_admin_operation_with_its_summary_body_path_parameter_and_every_status()
    {
        await using var app = ExampleApp.Start();
        using var admin = app.Admin();

        using var response = await admin.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        foreach (var (path, method, operationId, statuses) in Operations)
        {
            var pathItem = paths.EnumerateObject().SingleOrDefault(p => p.Name.TrimEnd('/') == path).Value;
            pathItem.ValueKind.ShouldBe(JsonValueKind.Object, $"{path} is missing; paths: {string.Join(", ", paths.EnumerateObject().Select(p => p.Name))}");
            var operation = pathItem.GetProperty(method);
            operation.GetProperty("operationId").GetString().ShouldBe(operationId);
            operation.GetProperty("summary").GetString().ShouldNotBeNullOrWhiteSpace();
            operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order(StringComparer.Ordinal).ToArray().ShouldBe(statuses, $"{method} {path}");

            foreach (var (status, answer) in operation.GetProperty("responses").EnumerateObject().Select(r => (r.Name, r.Value)))
            {
                if (status is not ("204" or "200" or "201" or "202"))
                {
                    answer.GetProperty("content").TryGetProperty("application/problem+json", out _).ShouldBeTrue($"{method} {path} {status}");
                }
            }

            if (path.Contains("{name}", StringComparison.Ordinal))
            {
                var parameters = operation.TryGetProperty("parameters", out var p) ? p : pathItem.GetProperty("parameters");
                parameters.EnumerateArray().ShouldContain(x => x.GetProperty("name").GetString() == "name" && x.GetProperty("in").GetString() == "path", $"{method} {path}");
            }

            if (operationId is "Roadrunner.CreateListener" or "Roadrunner.DrainListener" or "Roadrunner.NotifyDrain" or "Roadrunner.UpdateListener" or "Roadrunner.ReplaceCertificate")
            {
                operation.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _).ShouldBeTrue(operationId);
            }
        }

        // The listener's own schema is in the document, with its fields.
        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        schemas.GetProperty("ListenerInfo").GetProperty("properties").TryGetProperty("activeConnections", out _).ShouldBeTrue();
        schemas.GetProperty("CreateListenerRequest").GetProperty("properties").TryGetProperty("maxConnections", out _).ShouldBeTrue();
        schemas.GetProperty("CreateListenerRequest").GetProperty("properties").TryGetProperty("rateLimit", out _).ShouldBeTrue();
        schemas.GetProperty("UpdateListenerRequest").GetProperty("properties").TryGetProperty("maxConcurrentRequests", out _).ShouldBeTrue();
        schemas.GetProperty("ReplaceCertificateRequest").GetProperty("properties").TryGetProperty("certificateKeyPath", out _).ShouldBeTrue();
    }
}
