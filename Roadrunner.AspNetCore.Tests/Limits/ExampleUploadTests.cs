using System.Net;
using Roadrunner.AspNetCore.Tests.Example;

namespace Roadrunner.AspNetCore.Tests.Limits;

/// <summary>The example app's <c>POST /upload</c>, which makes body limits visible from outside.</summary>
public sealed class ExampleUploadTests
{
    [Fact]
    public async Task Upload_reads_the_whole_body_and_answers_its_size_and_a_body_over_the_listener_limit_gets_413()
    {
        await using var app = ExampleApp.Start();
        using var client = ExampleApp.Client(app.PublicUrl);

        using var response = await client.PostAsync("/upload", new ByteArrayContent(new byte[300_000]));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldBe("""{"bytes":300000}""");

        var small = await app.Manager.StartAsync("small-body", new ListenerOptions { MaxRequestBodySize = 1000 });
        using var limited = ExampleApp.Client(small.Url);
        using var tooBig = await limited.PostAsync("/upload", new ByteArrayContent(new byte[2000]));
        tooBig.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
    }
}
