using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Roadrunner.AspNetCore.Diagnostics;

/// <summary>The three outlets of every observable thing: logs, metrics and in-process events.</summary>
internal sealed class RoadrunnerDiagnostics : IDisposable
{
    public RoadrunnerDiagnostics(ILoggerFactory loggerFactory, RoadrunnerMetrics metrics)
    {
        Logger = loggerFactory.CreateLogger("Roadrunner.AspNetCore");
        Metrics = metrics;
    }

    public ILogger Logger { get; }

    public RoadrunnerMetrics Metrics { get; }

    public DiagnosticListener Events { get; } = new(RoadrunnerEvents.DiagnosticListenerName);

    /// <summary>Writes an event if anyone listens; the payload is built only then.</summary>
    public void Write<TState>(string name, TState state, Func<TState, object> payload)
    {
        if (Events.IsEnabled(name))
        {
            Events.Write(name, payload(state));
        }
    }

    public void Dispose() => Events.Dispose();
}
