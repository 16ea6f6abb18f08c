using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Roadrunner.AspNetCore.Admin;

/// <summary>
/// <c>POST listeners/{name}/certificate</c>: loads new certificate files and serves them to new connections. Separate from
/// PATCH because it reads files rather than patching options, and a file that does not load keeps the old certificate.
/// </summary>
internal static class AdminCertificateEndpoints
{
    public static void Map(RouteGroupBuilder group, AdminAccess access)
    {
        var certificate = group.MapPost("/listeners/{name}/certificate", access.Wrap("replace-certificate", ReplaceCertificate)).Described(named: true)
            .WithName("Roadrunner.ReplaceCertificate")
            .WithSummary("Replaces a TLS listener's certificate")
            .WithDescription("Loads the certificate files (PKCS#12 + password, or PEM certificate + key) and serves them to new connections at once; open connections keep theirs. A file that does not load is a 400 and the old certificate is kept; a plaintext listener is a 409.");
        AdminOpenApiMetadata.Accepts<ReplaceCertificateRequest>(certificate, optional: false);
        AdminOpenApiMetadata.Produces<ListenerInfo>(certificate, StatusCodes.Status200OK);
        AdminOpenApiMetadata.Problems(certificate, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        AdminOpenApiMetadata.BodyProblems(certificate);
    }

    private static async Task<IResult> ReplaceCertificate(HttpContext context)
    {
        var name = AdminNameParameter.Of(context);
        var (request, problem) = await AdminBody.ReadAsync<ReplaceCertificateRequest>(context, optional: false).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(request!.CertificatePath))
        {
            return AdminProblems.Field("certificatePath", "is required: the path of a PKCS#12 (.pfx) file, or of a PEM certificate with certificateKeyPath");
        }

        if (request.CertificatePassword is not null && request.CertificateKeyPath is not null)
        {
            return AdminProblems.Field("certificateKeyPath", "give certificatePassword for a PKCS#12 file or certificateKeyPath for a PEM certificate, not both");
        }

        var listeners = context.RequestServices.GetRequiredService<IListenerManager>();
        ListenerInfo? info;
        try
        {
            var certificate = new ListenerCertificate { Path = request.CertificatePath, Password = request.CertificatePassword, KeyPath = request.CertificateKeyPath };
            info = await listeners.ReplaceCertificateFromFileAsync(name, certificate, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            // The old certificate is still served; the message says why the new one did not load.
            return AdminProblems.FromOptionsValidation(ex);
        }
        catch (InvalidOperationException ex)
        {
            return AdminProblems.Create(StatusCodes.Status409Conflict, ex.Message);
        }

        return info is null ? AdminProblems.NotFound(name) : AdminResults.Ok(info);
    }
}
