namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The internal life cycle of a runtime listener; <see cref="ListenerLifecycle"/> is the only place it changes.
/// <code>
/// Starting ─► Accepting ─► Draining ─► Stopped ─► Closed
///    │          │  ▲  │         ▲          │  ▲
///    │          ▼  │  └► Stopping ┴──────────┘  │   (host shutdown drains what a stop left open)
///    │        Suspended ─► Stopping / Draining   │
///    └───────────────────────────────────────────┘   (bind failed, name taken, server unusable)
/// </code>
/// </summary>
internal enum ListenerState
{
    /// <summary>Created; the socket may be bound but nothing is accepted yet. Not visible.</summary>
    Starting,

    /// <summary>Bound and accepting.</summary>
    Accepting,

    /// <summary>Bound, not accepting: connects wait in the backlog until a resume.</summary>
    Suspended,

    /// <summary>Stopped by <c>StopAsync</c>: the listen socket is closing; open connections are left alone.</summary>
    Stopping,

    /// <summary>The listen socket is closed; open connections are told to finish, then waited on until the deadline.</summary>
    Draining,

    /// <summary>No longer accepting and no drain running; connections may still be open, and are tracked until they close.</summary>
    Stopped,

    /// <summary>Stopped and the last connection is gone; every resource is released. Terminal.</summary>
    Closed,
}
