using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Roadrunner.AspNetCore.Listeners;
using Roadrunner.AspNetCore.Tests.Infrastructure;
using Roadrunner.AspNetCore.Tls;
using Xunit.Abstractions;

namespace Roadrunner.AspNetCore.Tests.Tls;

/// <summary>
/// Certificate files replaced under a running listener, with real TLS clients (SslStream, HttpClient, openssl). The watcher
/// latency is real: waits are bounded generously and end on the reload event, never on a delay.
/// </summary>
[Collection(TlsTestGroup.Name)]
public sealed class CertificateReloadTests : IAsyncLifetime
{
    private static readonly TimeSpan ReloadWait = TimeSpan.FromSeconds(30);

    private readonly TestCertificates _files = new();
    private readonly EventRecorder _events = new();
    private readonly ITestOutputHelper _output;
    private TestApp _app = null!;

    public CertificateReloadTests(ITestOutputHelper output) => _output = output;

    public async Task InitializeAsync() =>
        _app = await TestApp.StartAsync(configureBuilder: b => b.Services.AddHealthChecks().AddRoadrunner());

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _events.Dispose();
        _files.Dispose();
    }

    [Fact]
    public async Task Replaced_pem_files_reach_new_connections_while_an_open_connection_keeps_its_certificate()
    {
        using var first = TestCertificates.Server("first.test");
        using var second = TestCertificates.Server("second.test");
        var (certificatePath, keyPath) = _files.WritePem(first);
        var info = await _app.Manager.StartAsync("reload-pem", new ListenerOptions { UseTls = true, CertificatePath = certificatePath, CertificateKeyPath = keyPath });
        info.Certificate!.Thumbprint.ShouldBe(first.Thumbprint);
        var firstEntry = Tls("reload-pem").Current.Default;

        var (socket, open, presented) = await TestCertificates.OpenAsync(info.Port);
        using var _ = socket;
        await using var __ = open;
        presented.Thumbprint.ShouldBe(first.Thumbprint);
        (await TestCertificates.GetAsync(open, "/")).ShouldContain("listener=reload-pem");

        var written = System.Diagnostics.Stopwatch.StartNew();
        _files.WritePem(second);
        var reloaded = await _events.WaitForAsync<CertificateReloadedEvent>(RoadrunnerEvents.CertificateReloaded, e => e.ListenerName == "reload-pem", ReloadWait);
        _output.WriteLine($"file written -> reload event: {written.Elapsed.TotalMilliseconds:F0} ms (debounce {CertificateFileWatcher.Debounce.TotalMilliseconds} ms)");

        reloaded.OldThumbprint.ShouldBe(first.Thumbprint);
        reloaded.NewThumbprint.ShouldBe(second.Thumbprint);
        reloaded.HostName.ShouldBeNull();
        reloaded.Path.ShouldBe(certificatePath);
        X509Certificate2? seen = null;
        using (var client = Net.TlsClient(info.Url, System.Net.HttpVersion.Version11, c => seen = c))
        {
            (await client.GetStringAsync("/")).ShouldBe("listener=reload-pem");
        }

        seen!.Thumbprint.ShouldBe(second.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(second.Thumbprint);
        _app.Manager.GetListener("reload-pem")!.Certificate!.Thumbprint.ShouldBe(second.Thumbprint);

        // The connection opened before the reload still works, on its certificate, which is not disposed while it is open.
        (await TestCertificates.GetAsync(open, "/")).ShouldContain("listener=reload-pem");
        firstEntry.IsDisposed.ShouldBeFalse();
        _app.Logs.Entries.ShouldContain(e => e.EventId.Id == 55 && e.Message.Contains("'reload-pem'") && e.Message.Contains(second.Thumbprint));

        // Once that connection closes, nothing uses the old certificate: it is disposed.
        open.Close();
        socket.Close();
        (await Net.EventuallyAsync(() => firstEntry.IsDisposed, TimeSpan.FromSeconds(20))).ShouldBeTrue();
        Tls("reload-pem").Current.Default.IsDisposed.ShouldBeFalse();
    }

    [Fact]
    public async Task The_kubernetes_secret_volume_symlink_swap_is_reloaded()
    {
        using var first = TestCertificates.Server("k8s-first.test");
        using var second = TestCertificates.Server("k8s-second.test");
        var volume = Path.Combine(_files.Directory, "secret");
        Directory.CreateDirectory(volume);
        WriteTimestampedDirectory(volume, "..2026_12_01_00_00_00.000000001", first);
        File.CreateSymbolicLink(Path.Combine(volume, "..data"), "..2026_12_01_00_00_00.000000001");
        File.CreateSymbolicLink(Path.Combine(volume, "tls.crt"), "..data/tls.crt");
        File.CreateSymbolicLink(Path.Combine(volume, "tls.key"), "..data/tls.key");
        var info = await _app.Manager.StartAsync("reload-k8s", new ListenerOptions
        {
            UseTls = true,
            CertificatePath = Path.Combine(volume, "tls.crt"),
            CertificateKeyPath = Path.Combine(volume, "tls.key"),
        });
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(first.Thumbprint);
        var (socket, open, _) = await TestCertificates.OpenAsync(info.Port);
        using var _s = socket;
        await using var _o = open;

        // What kubelet's atomic writer does: a new timestamped directory, a new symlink beside ..data, renamed over it.
        WriteTimestampedDirectory(volume, "..2026_12_02_00_00_00.000000002", second);
        File.CreateSymbolicLink(Path.Combine(volume, "..data_tmp"), "..2026_12_02_00_00_00.000000002");
        using (var rename = ChildProcess.Start("mv", ["-Tf", Path.Combine(volume, "..data_tmp"), Path.Combine(volume, "..data")]))
        {
            (await rename.WaitForExitAsync(TimeSpan.FromSeconds(10))).ShouldBeTrue(rename.Describe());
            rename.ExitCode.ShouldBe(0, rename.Describe());
        }

        Directory.Delete(Path.Combine(volume, "..2026_12_01_00_00_00.000000001"), recursive: true);

        var reloaded = await _events.WaitForAsync<CertificateReloadedEvent>(RoadrunnerEvents.CertificateReloaded, e => e.ListenerName == "reload-k8s", ReloadWait);
        reloaded.NewThumbprint.ShouldBe(second.Thumbprint);
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(second.Thumbprint);
        (await TestCertificates.GetAsync(open, "/")).ShouldContain("listener=reload-k8s");
    }

    [Fact]
    public async Task A_file_that_does_not_load_keeps_the_old_certificate_and_is_reported_until_a_good_load()
    {
        using var first = TestCertificates.Server("keep.test");
        using var third = TestCertificates.Server("third.test");
        var path = _files.WritePfx(first, "pw");
        var info = await _app.Manager.StartAsync("reload-bad", new ListenerOptions { UseTls = true, CertificatePath = path, CertificatePassword = "pw" });
        var health = _app.App.Services.GetRequiredService<HealthCheckService>();

        // Half-written: the first bytes of a new PFX.
        using var second = TestCertificates.Server("second.test");
        TestCertificates.WriteAtomically(path, second.Export(X509ContentType.Pfx, "pw")[..100]);
        var failed = await _events.WaitForAsync<CertificateReloadFailedEvent>(RoadrunnerEvents.CertificateReloadFailed, e => e.ListenerName == "reload-bad", ReloadWait);

        failed.Path.ShouldBe(path);
        failed.KeptThumbprint.ShouldBe(first.Thumbprint);
        failed.Error.ShouldContain("Roadrunner:Listeners:reload-bad:CertificatePath: cannot load");
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(first.Thumbprint);
        _app.Logs.Entries.ShouldContain(e => e.EventId.Id == 56 && e.Level == Microsoft.Extensions.Logging.LogLevel.Error
            && e.Message.Contains("'reload-bad'") && e.Message.Contains(path) && e.Message.Contains(first.Thumbprint));
        _app.Manager.GetListener("reload-bad")!.CertificateReloadError!.ShouldContain("cannot load");
        var report = await health.CheckHealthAsync();
        report.Status.ShouldBe(HealthStatus.Degraded);
        report.Entries.Values.Single().Description!.ShouldContain("listener 'reload-bad'");

        // The wrong password: the same, a second report.
        TestCertificates.WriteAtomically(path, second.Export(X509ContentType.Pfx, "other"));
        await _events.WaitForAsync<CertificateReloadFailedEvent>(RoadrunnerEvents.CertificateReloadFailed, e => e.ListenerName == "reload-bad" && e.Error.Contains("password", StringComparison.OrdinalIgnoreCase), ReloadWait);

        // A good file: served, and the report is gone.
        _files.WritePfx(third, "pw");
        await _events.WaitForAsync<CertificateReloadedEvent>(RoadrunnerEvents.CertificateReloaded, e => e.ListenerName == "reload-bad", ReloadWait);
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(third.Thumbprint);
        _app.Manager.GetListener("reload-bad")!.CertificateReloadError.ShouldBeNull();
        (await health.CheckHealthAsync()).Status.ShouldBe(HealthStatus.Healthy);
    }

    [Fact]
    public async Task An_expired_or_keyless_replacement_file_is_refused_and_the_old_certificate_kept()
    {
        using var first = TestCertificates.Server("valid.test");
        var path = _files.WritePfx(first, "pw");
        var info = await _app.Manager.StartAsync("reload-expired", new ListenerOptions { UseTls = true, CertificatePath = path, CertificatePassword = "pw" });

        using var publicOnly = X509CertificateLoader.LoadCertificate(TestCertificates.Server("nokey.test").Export(X509ContentType.Cert));
        TestCertificates.WriteAtomically(path, new X509Certificate2Collection(publicOnly).Export(X509ContentType.Pkcs12, "pw")!);
        var failed = await _events.WaitForAsync<CertificateReloadFailedEvent>(RoadrunnerEvents.CertificateReloadFailed, e => e.ListenerName == "reload-expired", ReloadWait);

        failed.Error.ShouldContain("has no private key");
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(first.Thumbprint);
    }

    [Fact]
    public async Task ReplaceCertificateAsync_swaps_the_certificate_for_new_connections_and_refuses_what_cannot_serve()
    {
        using var first = TestCertificates.Server("code-first.test");
        using var second = TestCertificates.Server("code-second.test");
        var info = await _app.Manager.StartAsync("replace", new ListenerOptions { UseTls = true, Certificate = first });
        var (socket, open, _) = await TestCertificates.OpenAsync(info.Port);
        using var _s = socket;
        await using var _o = open;

        var replaced = await _app.Manager.ReplaceCertificateAsync("replace", second);

        replaced!.Certificate!.Thumbprint.ShouldBe(second.Thumbprint);
        replaced.Certificate.Subject.ShouldBe("CN=code-second.test");
        replaced.Certificate.NotAfter.ShouldBe(new DateTimeOffset(second.NotAfter.ToUniversalTime(), TimeSpan.Zero));
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(second.Thumbprint);
        (await TestCertificates.GetAsync(open, "/")).ShouldContain("listener=replace");
        (await _events.WaitForAsync<CertificateReloadedEvent>(RoadrunnerEvents.CertificateReloaded, e => e.ListenerName == "replace")).Path.ShouldBeNull();

        // From files: a PEM pair, then a PFX with the wrong password (refused, the PEM one kept).
        using var third = TestCertificates.Server("file-third.test");
        var (certificatePath, keyPath) = _files.WritePem(third, "replacement");
        (await _app.Manager.ReplaceCertificateFromFileAsync("replace", new ListenerCertificate { Path = certificatePath, KeyPath = keyPath }))!
            .Certificate!.Thumbprint.ShouldBe(third.Thumbprint);
        Tls("replace").Watcher.ShouldNotBeNull();
        var pfx = _files.WritePfx(first, "right", "wrong-password");
        var error = await Should.ThrowAsync<OptionsValidationException>(() =>
            _app.Manager.ReplaceCertificateFromFileAsync("replace", new ListenerCertificate { Path = pfx, Password = "wrong" }));
        error.Message.ShouldContain($"cannot load '{pfx}'");
        (await TestCertificates.OpensslThumbprintAsync(info.Port)).ShouldBe(third.Thumbprint);

        // A certificate that cannot serve: the message says why; the old one stays.
        using var publicOnly = X509CertificateLoader.LoadCertificate(second.Export(X509ContentType.Cert));
        (await Should.ThrowAsync<OptionsValidationException>(() => _app.Manager.ReplaceCertificateAsync("replace", publicOnly)))
            .Message.ShouldContain("has no private key");
        _app.Manager.GetListener("replace")!.Certificate!.Thumbprint.ShouldBe(third.Thumbprint);

        // Unknown names and plaintext listeners.
        (await _app.Manager.ReplaceCertificateAsync("nobody", second)).ShouldBeNull();
        await _app.Manager.StartAsync("replace-plain", new ListenerOptions());
        (await Should.ThrowAsync<InvalidOperationException>(() => _app.Manager.ReplaceCertificateAsync("replace-plain", second)))
            .Message.ShouldContain("plaintext");

        // The caller's certificate is not disposed by the library, even after the listener is gone.
        await _app.Manager.StopAsync("replace");
        second.HasPrivateKey.ShouldBeTrue();
        second.Handle.ShouldNotBe(IntPtr.Zero);
    }

    [Fact]
    public async Task Stopping_or_draining_a_listener_stops_watching_its_files_and_leaves_no_watcher()
    {
        var before = CertificateFileWatcher.Active;
        using var certificate = TestCertificates.Server("watch.test");
        var path = _files.WritePfx(certificate, "pw");
        var options = new ListenerOptions { UseTls = true, CertificatePath = path, CertificatePassword = "pw" };

        await _app.Manager.StartAsync("watch-stop", options);
        await _app.Manager.StartAsync("watch-drain", options);
        var stopWatcher = Tls("watch-stop").Watcher!;
        var drainWatcher = Tls("watch-drain").Watcher!;
        stopWatcher.WatchedDirectories.ShouldBe(1);
        CertificateFileWatcher.Active.ShouldBe(before + 2);

        await _app.Manager.StopAsync("watch-stop");
        (await _app.Manager.DrainAsync("watch-drain", TimeSpan.FromSeconds(5)))!.Outcome.ShouldBe(DrainOutcome.Drained);

        stopWatcher.IsDisposed.ShouldBeTrue();
        drainWatcher.IsDisposed.ShouldBeTrue();
        CertificateFileWatcher.Active.ShouldBe(before);

        // A listener that serves a code certificate has no files to watch.
        using var code = TestCertificates.Server("code.test");
        await _app.Manager.StartAsync("watch-none", new ListenerOptions { UseTls = true, Certificate = code });
        Tls("watch-none").Watcher.ShouldBeNull();
        await _app.Manager.StartAsync("watch-off", new ListenerOptions { UseTls = true, CertificatePath = path, CertificatePassword = "pw", ReloadCertificates = false });
        Tls("watch-off").Watcher.ShouldBeNull();
        CertificateFileWatcher.Active.ShouldBe(before);
    }

    private ListenerTls Tls(string name) => ((ListenerManager)_app.Manager).Find(name)!.Tls!;

    private static void WriteTimestampedDirectory(string volume, string name, X509Certificate2 certificate)
    {
        var directory = Path.Combine(volume, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "tls.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "tls.key"), TestCertificates.KeyPem(certificate));
    }
}
