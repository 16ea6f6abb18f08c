using System.Runtime.CompilerServices;

namespace Roadrunner.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Servers, clients and the test runner share one process on a 2-core machine, where the thread pool starts with
/// two worker threads and adds more only about twice a second. The runner's own blocking work could then delay a
/// timer callback (say, a drain deadline) by hundreds of milliseconds; tests that check deadlines need the pool
/// sized like a server's.
/// </summary>
internal static class ThreadPoolWarmup
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }
}
