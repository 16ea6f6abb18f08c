using Roadrunner.AspNetCore.Tests.Infrastructure;

namespace Roadrunner.AspNetCore.Tests.Listeners;

[CollectionDefinition(nameof(FileDescriptorSensitive), DisableParallelization = true)]
public sealed class FileDescriptorSensitive;

[Collection(nameof(FileDescriptorSensitive))]
public sealed class LeakTests
{
    [Fact]
    public async Task Two_hundred_start_stop_cycles_leave_the_descriptor_count_where_it_began()
    {
        await using var app = await TestApp.StartAsync();

        // Warm up: the first bind creates the socket engine's long-lived descriptors.
        for (var i = 0; i < 5; i++)
        {
            await app.Manager.StartAsync("warm", new ListenerOptions());
            await app.Manager.StopAsync("warm");
        }

        var before = Net.OpenFileDescriptors();
        for (var i = 0; i < 200; i++)
        {
            var info = await app.Manager.StartAsync("cycle", new ListenerOptions());
            if (i % 20 == 0)
            {
                using var client = Net.Client(info.Url);
                (await client.GetStringAsync("/")).ShouldBe("listener=cycle");
            }

            (await app.Manager.StopAsync("cycle")).ShouldBeTrue();
        }

        // Served connections close asynchronously after the client is disposed; wait for them, with a deadline.
        var settled = await Net.EventuallyAsync(() => Net.OpenFileDescriptors() <= before + 5, TimeSpan.FromSeconds(10));
        settled.ShouldBeTrue($"descriptors: {before} before, {Net.OpenFileDescriptors()} after");
    }
}
