using Microsoft.Extensions.Time.Testing;
using Roadrunner.AspNetCore.Tls;

namespace Roadrunner.AspNetCore.Tests.Tls;

/// <summary>The watcher's fallback and debounce, on a fake clock.</summary>
[Collection(TlsTestGroup.Name)]
public sealed class CertificateFileWatcherTests
{
    [Fact]
    public void A_directory_that_cannot_be_watched_is_reported_and_polling_still_reloads()
    {
        var clock = new FakeTimeProvider();
        var changes = 0;
        var failures = new List<string>();
        var missing = Path.Combine(Path.GetTempPath(), $"rr-missing-{Guid.NewGuid():N}");

        using var watcher = new CertificateFileWatcher([missing], TimeSpan.FromMinutes(1), clock, () => changes++, (directory, _) => failures.Add(directory));

        failures.ShouldBe([missing]);
        watcher.WatchedDirectories.ShouldBe(0);
        clock.Advance(TimeSpan.FromSeconds(59));
        changes.ShouldBe(0);
        clock.Advance(TimeSpan.FromSeconds(1));
        changes.ShouldBe(1);
        clock.Advance(TimeSpan.FromMinutes(2));
        changes.ShouldBe(3);
    }

    [Fact]
    public void Polling_zero_means_none_and_a_disposed_watcher_never_calls_back()
    {
        var clock = new FakeTimeProvider();
        var changes = 0;
        var watcher = new CertificateFileWatcher([Path.GetTempPath()], TimeSpan.Zero, clock, () => changes++, (_, _) => { });
        var active = CertificateFileWatcher.Active;

        clock.Advance(TimeSpan.FromHours(1));
        watcher.Dispose();
        watcher.Dispose();

        changes.ShouldBe(0);
        watcher.IsDisposed.ShouldBeTrue();
        CertificateFileWatcher.Active.ShouldBe(active - 1);
    }
}
