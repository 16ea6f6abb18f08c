namespace Roadrunner.AspNetCore;

/// <summary>
/// Starts, inspects, drains and stops named HTTP listeners while the application runs. Registered as a
/// singleton by <c>AddRoadrunner</c>. All members are thread-safe.
/// </summary>
public interface IListenerManager
{
    /// <summary>Names of the registered listeners (accepting or draining), most recently started first.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>Snapshots of all registered listeners, most recently started first.</summary>
    IReadOnlyList<ListenerInfo> GetListeners();

    /// <summary>A snapshot of the named listener, or <see langword="null"/> when no such listener is registered.</summary>
    ListenerInfo? GetListener(string name);

    /// <summary>
    /// Binds a new listener and starts accepting on it. When the returned task completes the socket is
    /// bound and accepting, and the result carries the real bound endpoint.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, too long or contains characters other than <c>[A-Za-z0-9._-]</c>.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid, or the certificate cannot be loaded.</exception>
    /// <exception cref="DuplicateListenerException">A listener with this name exists.</exception>
    /// <exception cref="ListenerBindException">The address cannot be bound (in use, not local, not permitted).</exception>
    /// <remarks>A failed start leaves nothing behind: the name is free and no socket stays open.</remarks>
    Task<ListenerInfo> StartAsync(string name, ListenerOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Closes the listen socket at once and forgets the name; the port and the name can be reused as soon
    /// as this returns. Open connections are not waited on (use <see cref="DrainAsync"/> for that); they
    /// stay tracked and counted until they close.
    /// </summary>
    /// <returns><see langword="true"/> if the listener existed; <see langword="false"/> for an unknown name.</returns>
    Task<bool> StopAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drains the listener: stops accepting, tells every connection and request of it (drain signal with the
    /// deadline), asks every connection to close gracefully, waits until the last one has closed or the
    /// deadline passes, aborts what is left, and removes the listener. A second call while a drain runs joins it.
    /// </summary>
    /// <param name="name">The listener.</param>
    /// <param name="timeout">
    /// Grace period; <see cref="TimeSpan.Zero"/> aborts open connections at once; <see cref="Timeout.InfiniteTimeSpan"/>
    /// drains without deadline (handlers see <c>Deadline == null</c>). A second call with an earlier deadline moves the
    /// running drain's deadline up; a drain is never extended.
    /// </param>
    /// <param name="cancellationToken">Stops waiting for the result; the drain itself runs on to its deadline.</param>
    /// <returns>
    /// The drain's result, or <see langword="null"/> when no listener has that name. It comes once every socket of the
    /// listener is closed; connections cut at the deadline get up to a second more for their handlers to return.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not infinite.</exception>
    Task<DrainResult?> DrainAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Soft drain: sends the drain signal with <paramref name="deadline"/> to the requests in flight on the
    /// listener, which keeps accepting; nothing is closed or waited on. Requests that start later get a fresh signal.
    /// </summary>
    /// <returns><see langword="true"/> if the listener exists; <see langword="false"/> otherwise.</returns>
    Task<bool> NotifyDrainAsync(string name, DateTimeOffset deadline, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops accepting on the listener but keeps its socket bound (ranch's suspend): connects wait in the kernel's
    /// backlog instead of being refused, open connections keep serving, and <see cref="ListenerStatus.Suspended"/> is
    /// shown. Drain and stop work from here. Suspending a suspended listener does nothing.
    /// </summary>
    /// <returns>The listener, or <see langword="null"/> for an unknown name.</returns>
    /// <exception cref="InvalidOperationException">The listener is draining.</exception>
    Task<ListenerInfo?> SuspendAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Resumes a suspended listener: the connects queued in the backlog meanwhile are served.</summary>
    /// <returns>The listener, or <see langword="null"/> for an unknown name.</returns>
    /// <exception cref="InvalidOperationException">The listener is draining.</exception>
    Task<ListenerInfo?> ResumeAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drains every listener, for apps that orchestrate their own shutdown: in <see cref="ListenerOptions.ShutdownOrder"/>
    /// groups (lower first; equal orders in parallel; the next group starts when the previous one is done), all within
    /// one deadline. Stopped listeners whose connections are still open are drained too. Ordinary Kestrel endpoints are
    /// not signalled (host shutdown does that).
    /// </summary>
    /// <param name="timeout">The overall deadline; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    /// <param name="cancellationToken">Stops waiting; the drains run on to their deadline.</param>
    /// <returns>One result per drained listener, in drain order.</returns>
    Task<IReadOnlyList<DrainResult>> DrainAllAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes the options of a running listener without dropping or restarting anything: the connection cap and its
    /// behaviour, the drain spread, the shutdown order and the per-listener limits. New connections and requests see the
    /// new values at once; open connections keep serving. Raising the cap of a listener paused at it
    /// (<see cref="MaxConnectionsBehavior.Backlog"/>) serves the connects waiting in the backlog at once. Concurrent updates
    /// of one listener are applied one after the other (the last one wins). <paramref name="options"/> is copied: later
    /// changes to the object have no effect.
    /// </summary>
    /// <param name="name">The listener.</param>
    /// <param name="options">The complete new options (not a patch): start from the listener's current options and change what is needed.</param>
    /// <param name="cancellationToken">Checked before anything changes.</param>
    /// <returns>The updated listener, or <see langword="null"/> for an unknown name.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid (the message names listener and key); nothing changed.</exception>
    /// <exception cref="ListenerUpdateException">
    /// Address, port, protocols, TLS or a certificate option differs from the running listener's; nothing changed. Stop and
    /// start the listener instead, or change it in configuration, where a reload starts the new listener and drains the old.
    /// </exception>
    /// <exception cref="InvalidOperationException">The listener is draining: its options no longer change.</exception>
    Task<ListenerInfo?> UpdateAsync(string name, ListenerOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a TLS listener's default certificate with one given in code, which stays the caller's (it is not
    /// disposed). New connections get it at once; open connections keep the one they have; nothing is dropped. The
    /// certificate files it replaces are no longer watched; SNI certificates stay as they are.
    /// </summary>
    /// <returns>The listener with its new certificate, or <see langword="null"/> for an unknown name.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The certificate cannot serve TLS (no private key, expired, not for servers); the old one is kept.</exception>
    /// <exception cref="InvalidOperationException">The listener serves plaintext HTTP.</exception>
    Task<ListenerInfo?> ReplaceCertificateAsync(string name, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a TLS listener's default certificate with one loaded from files (PKCS#12 + password, or PEM certificate +
    /// key), which are then watched like <see cref="ListenerOptions.CertificatePath"/> when
    /// <see cref="ListenerOptions.ReloadCertificates"/> is on. New connections get it at once; open ones keep theirs.
    /// </summary>
    /// <returns>The listener with its new certificate, or <see langword="null"/> for an unknown name.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The files do not load or the certificate cannot serve TLS; the message says why and the old certificate is kept.</exception>
    /// <exception cref="InvalidOperationException">The listener serves plaintext HTTP.</exception>
    Task<ListenerInfo?> ReplaceCertificateFromFileAsync(string name, ListenerCertificate certificate, CancellationToken cancellationToken = default);
}
