using System.Collections.Concurrent;
using System.Diagnostics;

namespace Roadrunner.AspNetCore.Tests.Infrastructure;

/// <summary>Records Roadrunner's in-process events (all hosts in the process: filter by listener name).</summary>
public sealed class EventRecorder : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly ConcurrentQueue<KeyValuePair<string, object?>> _events = new();
    private readonly ConcurrentBag<IDisposable> _subscriptions = [];
    private readonly Lock _waitersLock = new();
    private readonly List<(Func<KeyValuePair<string, object?>, bool> Match, TaskCompletionSource<object?> Done)> _waiters = [];

    public EventRecorder()
    {
        _subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));
    }

    public IReadOnlyList<KeyValuePair<string, object?>> Events => [.. _events];

    public IEnumerable<T> Payloads<T>(string name) => _events.Where(e => e.Key == name).Select(e => e.Value).OfType<T>();

    /// <summary>Completes when an event with that name and a matching payload is (or was) written.</summary>
    public async Task<T> WaitForAsync<T>(string name, Func<T, bool> match, TimeSpan? timeout = null)
    {
        bool Matches(KeyValuePair<string, object?> e) => e.Key == name && e.Value is T payload && match(payload);
        var done = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waitersLock)
        {
            var existing = _events.FirstOrDefault(Matches);
            if (existing.Key is not null)
            {
                return (T)existing.Value!;
            }

            _waiters.Add((Matches, done));
        }

        return (T)(await done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10)))!;
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener value)
    {
        if (value.Name == RoadrunnerEvents.DiagnosticListenerName)
        {
            _subscriptions.Add(value.Subscribe(this));
        }
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        lock (_waitersLock)
        {
            _events.Enqueue(value);
            foreach (var waiter in _waiters.Where(w => w.Match(value)).ToList())
            {
                waiter.Done.TrySetResult(value.Value);
                _waiters.Remove(waiter);
            }
        }
    }

    void IObserver<DiagnosticListener>.OnCompleted()
    {
    }

    void IObserver<DiagnosticListener>.OnError(Exception error)
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted()
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
    {
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }
}
