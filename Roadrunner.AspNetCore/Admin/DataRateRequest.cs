namespace Roadrunner.AspNetCore.Admin;

/// <summary><c>minRequestBodyDataRate</c> of a create or update body: <c>{"bytesPerSecond":n,"gracePeriodMs":n}</c>, both required.</summary>
internal sealed class DataRateRequest
{
    /// <summary>The least bytes per second a request body must arrive at; greater than 0.</summary>
    public double? BytesPerSecond { get; init; }

    /// <summary>How long a body may arrive slower, in milliseconds; more than 1000.</summary>
    public long? GracePeriodMs { get; init; }
}
