// <readme:certificates>
using Roadrunner.AspNetCore;                     // already in the Quick start

// </readme:certificates>
namespace Snippets;

/// <summary>The README's certificate block: replace a TLS listener's certificate from code, and read who the client is.</summary>
internal static class CertificateSnippet
{
    internal static void Map(WebApplication app)
    {
        // <readme:certificates>
        app.MapPost("/ports/{name}/certificate", async (string name, string path, string key, IListenerManager listeners) =>
        {
            try
            {
                // New connections get it at once; open ones keep theirs; the files are watched from now on.
                var info = await listeners.ReplaceCertificateFromFileAsync(name, new ListenerCertificate { Path = path, KeyPath = key });
                return info is null ? Results.NotFound() : Results.Ok(info.Certificate);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                return Results.BadRequest(ex.Message);   // did not load: the old certificate is still served
            }
        });

        // On a listener with ClientCertificateMode AllowCertificate/RequireCertificate: the validated client certificate.
        app.MapGet("/me", (HttpContext ctx) => ctx.Connection.ClientCertificate?.Subject ?? "anonymous");
        // </readme:certificates>
    }
}
