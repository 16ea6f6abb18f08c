using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Fifty_parallel_starts_then_fifty_parallel_stops_all_succeed_and_leave_no_socket()
    {
        await using var app = await TestApp.StartAsync();
        var names = Enumerable.Range(0, 50).Select(i => $"p{i}").ToArray();

        var infos = await Task.WhenAll(names.Select(n => Task.Run(() => app.Manager.StartAsync(n, new ListenerOptions()))));
        app.Manager.Names.Count.ShouldBe(50);
        infos.Select(i => i.EndPoint.Port).Distinct().Count().ShouldBe(50);

        var stopped = await Task.WhenAll(names.Select(n => Task.Run(() => app.Manager.StopAsync(n))));

        stopped.ShouldAllBe(s => s);
        app.Manager.Names.ShouldBeEmpty();
        foreach (var info in infos)
        {
            (await Net.IsRefusedAsync(info.Url)).ShouldBeTrue($"port {info.EndPoint.Port} of {info.Name} still accepts");
        }
    }

    [Fact]
    public async Task Twenty_parallel_starts_of_one_name_have_exactly_one_winner()
    {
        await using var app = await TestApp.StartAsync();

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            try
            {
                await app.Manager.StartAsync("contested", new ListenerOptions());
                return true;
            }
            catch (DuplicateListenerException)
            {
                return false;
            }
        })));

        attempts.Count(won => won).ShouldBe(1);
        app.Manager.Names.ShouldBe(["contested"]);
        using var client = Net.Client(app.Manager.GetListener("contested")!.Url);
        (await client.GetStringAsync("/")).ShouldBe("listener=contested");
    }

    [Fact]
    public async Task Ten_parallel_stops_of_one_name_have_exactly_one_true()
    {
        await using var app = await TestApp.StartAsync();
        var info = await app.Manager.StartAsync("once", new ListenerOptions());

        var stops = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => app.Manager.StopAsync("once"))));

        stops.Count(s => s).ShouldBe(1);
        (await Net.IsRefusedAsync(info.Url)).ShouldBeTrue();
        app.Manager.Names.ShouldBeEmpty();
    }
}
