using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;

namespace Roadrunner.AspNetCore.Diagnostics;

/// <summary>The three outlets of every observable thing: logs (one category per concern), metrics and in-process events.</summary>
internal sealed class RoadrunnerDiagnostics : IDisposable
{
    public const string ListenersCategory = "Roadrunner.AspNetCore.Listeners";
    public const string DrainCategory = "Roadrunner.AspNetCore.Drain";
    public const string TransportCategory = "Roadrunner.AspNetCore.Transport";
    public const string HostingCategory = "Roadrunner.AspNetCore.Hosting";

    public RoadrunnerDiagnostics(ILoggerFactory loggerFactory, RoadrunnerMetrics metrics)
    {
        ListenersLogger = loggerFactory.CreateLogger(ListenersCategory);
        DrainLogger = loggerFactory.CreateLogger(DrainCategory);
        TransportLogger = loggerFactory.CreateLogger(TransportCategory);
        HostingLogger = loggerFactory.CreateLogger(HostingCategory);
        Metrics = metrics;
    }

    /// <summary>Listener life cycle: started, stopped, bind failures.</summary>
    public ILogger ListenersLogger { get; }

    /// <summary>Drains, soft drains, acknowledgements, deadline aborts.</summary>
    public ILogger DrainLogger { get; }

    /// <summary>Accepting connections: caps, accept failures.</summary>
    public ILogger TransportLogger { get; }

    /// <summary>Start-up and shutdown of the host: server URLs, server checks, host drain.</summary>
    public ILogger HostingLogger { get; }

    /// <summary>Kept until the server-URL binding code moves to <see cref="HostingLogger"/>.</summary>
    public ILogger Logger => HostingLogger;

    public RoadrunnerMetrics Metrics { get; }

    public DiagnosticListener Events { get; } = new(RoadrunnerEvents.DiagnosticListenerName);

    /// <summary>
    /// Writes an event if anyone listens; the payload is built only then. The generic <c>Write</c> keeps the payload's
    /// public properties for trimming, so this path is trim- and AOT-safe.
    /// </summary>
    [UnconditionalSuppressMessage(
        "Trimming",
        "IL2026",
        Justification = "Payloads are flat records of primitives, strings, endpoints and enums; their public properties are kept by the annotation on TPayload.")]
    public void Write<TState, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] TPayload>(
        string name, TState state, Func<TState, TPayload> payload)
    {
        if (Events.IsEnabled(name))
        {
            Events.Write(name, payload(state));
        }
    }

    public void Dispose() => Events.Dispose();
}
