namespace Roadrunner.Bench.LoadClient.Scenarios;

/// <summary>Scenario 10: the same /hello on a listener without limits and on one with every limit set (generous values).</summary>
internal static partial class ThroughputScenarios
{
    public static Task<ScenarioResult> LimitsAsync(BenchContext context, ServerProcess server) =>
        RunAsync(context, server, new Spec("limits", "Every per-listener limit set (generous) vs none, same kind of listener, 50 connections (wrk)", new("no limits", "rrH1"), new("every limit", "rrLimits"), Tool.Wrk, 50), result =>
            result.Metrics[0].WithTarget(">=", 0.98).OnChart("ratio", "limits req/s"));
}
