using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Roadrunner.AspNetCore;

/// <summary>Results for handlers that end because of a drain.</summary>
public static class RoadrunnerResults
{
    /// <summary>
    /// 503 Service Unavailable with <c>Retry-After</c> (whole seconds, at least 1) and <c>Connection: close</c>, after
    /// acknowledging the drain: the answer for a long-poll that was pending when its listener drained.
    /// </summary>
    /// <param name="retryAfter">When the client should retry; defaults to 1 second.</param>
    /// <returns>The result.</returns>
    public static IResult Draining(TimeSpan? retryAfter = null) => new DrainingResult(retryAfter ?? TimeSpan.FromSeconds(1));

    private sealed class DrainingResult(TimeSpan retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            httpContext.AcknowledgeDrain();
            var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
            httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            httpContext.Response.Headers.Connection = "close";
            return Task.CompletedTask;
        }
    }
}
