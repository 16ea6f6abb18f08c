using System.Diagnostics;
using System.Net;

namespace Roadrunner.AspNetCore.Tests.Example;

public sealed class AdminConcurrencyTests
{
    [Fact]
    public async Task A_thousand_parallel_creates_and_deletes_each_get_an_allowed_status_and_the_list_matches_the_successes()
    {
        await using var app = ExampleApp.Start();
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 200 };
        using var admin = new HttpClient(handler) { BaseAddress = app.AdminUrl, Timeout = TimeSpan.FromSeconds(60) };
        var random = new Random(20_251_125);
        var operations = Enumerable.Range(0, 1000)
            .Select(_ => (Name: $"cc{random.Next(20)}", Create: random.Next(2) == 0))
            .ToArray();

        var clock = Stopwatch.StartNew();
        var statuses = await Task.WhenAll(operations.Select(async op =>
        {
            using var response = op.Create
                ? await admin.PostJsonAsync("/admin/listeners", $$"""{"name":"{{op.Name}}"}""")
                : await admin.DeleteAsync(new Uri($"/admin/listeners/{op.Name}", UriKind.Relative));
            return response.StatusCode;
        }));
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));

        var results = operations.Zip(statuses, (op, status) => (op.Name, op.Create, Status: status)).ToList();
        foreach (var (name, create, status) in results)
        {
            if (create)
            {
                status.ShouldBeOneOf([HttpStatusCode.Created, HttpStatusCode.Conflict], $"create {name}");
            }
            else
            {
                status.ShouldBeOneOf([HttpStatusCode.NoContent, HttpStatusCode.NotFound], $"delete {name}");
            }
        }

        // Every outcome happened, so the run really interleaved.
        results.Select(r => r.Status).Distinct().Count().ShouldBe(4);

        // Per name, successful creates and deletes alternate (a create succeeds only when absent, a delete only when
        // present), so the name exists at the end exactly when it has one more successful create than delete.
        var expected = new List<string>();
        foreach (var group in results.GroupBy(r => r.Name))
        {
            var balance = group.Count(r => r.Create && r.Status == HttpStatusCode.Created)
                - group.Count(r => !r.Create && r.Status == HttpStatusCode.NoContent);
            balance.ShouldBeInRange(0, 1, $"successful creates minus successful deletes of {group.Key}");
            if (balance == 1)
            {
                expected.Add(group.Key);
            }
        }

        var listed = await admin.ListNamesAsync();
        listed.Where(n => n.StartsWith("cc", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ShouldBe(expected.Order(StringComparer.Ordinal));
        listed.ShouldContain("admin");
        listed.ShouldContain("public");
        app.Manager.Names.ShouldBe(listed);

        // What is listed really serves.
        foreach (var name in expected)
        {
            using var client = ExampleApp.Client(app.Manager.GetListener(name)!.Url);
            (await client.GetStringAsync(new Uri("/", UriKind.Relative))).ShouldContain($"listener={name}");
        }
    }
}
