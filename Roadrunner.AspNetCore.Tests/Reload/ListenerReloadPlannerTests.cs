using Roadrunner.AspNetCore.Reload;

namespace Roadrunner.AspNetCore.Tests.Reload;

/// <summary>The reload's diff on its own: no listener, no socket, just what the planner makes of two configurations.</summary>
public sealed class ListenerReloadPlannerTests
{
    [Fact]
    public void Removed_are_the_applied_listeners_no_longer_configured_and_changed_are_the_new_changed_and_empty_ones_in_configuration_order()
    {
        var applied = new Dictionary<string, ListenerOptions>(StringComparer.OrdinalIgnoreCase)
        {
            ["gone"] = new() { Port = 0 },
            ["same"] = new() { Port = 0, MaxConnections = 5 },
            ["limit"] = new() { Port = 0, MaxConnections = 5 },
            ["moved"] = new() { Port = 0 },
        };
        var desired = new RoadrunnerOptions();
        desired.Listeners["new"] = new() { Port = 0 };
        desired.Listeners["SAME"] = new() { Port = 0, MaxConnections = 5 };
        desired.Listeners["limit"] = new() { Port = 0, MaxConnections = 6 };
        desired.Listeners["moved"] = new() { Port = 0, Address = "::1" };
        desired.Listeners["empty"] = null!;

        var plan = ListenerReloadPlanner.Plan(applied, desired, sectionExists: true);

        plan.SectionMissing.ShouldBeFalse();
        plan.Removed.ShouldBe(["gone"]);
        plan.Changed.Select(c => c.Key).ShouldBe(["new", "limit", "moved", "empty"]);
        plan.Changed.Single(c => c.Key == "limit").Value.ShouldBeSameAs(desired.Listeners["limit"]);
        plan.Changed.Single(c => c.Key == "empty").Value.ShouldBeNull();
    }

    [Fact]
    public void A_missing_section_plans_nothing_while_an_empty_listeners_section_removes_every_applied_listener()
    {
        var applied = new Dictionary<string, ListenerOptions>(StringComparer.OrdinalIgnoreCase) { ["a"] = new() { Port = 0 }, ["b"] = new() { Port = 0 } };

        var missing = ListenerReloadPlanner.Plan(applied, new RoadrunnerOptions(), sectionExists: false);
        var emptied = ListenerReloadPlanner.Plan(applied, new RoadrunnerOptions(), sectionExists: true);

        missing.SectionMissing.ShouldBeTrue();
        missing.Removed.ShouldBeEmpty();
        missing.Changed.ShouldBeEmpty();
        emptied.SectionMissing.ShouldBeFalse();
        emptied.Removed.ShouldBe(["a", "b"]);
        emptied.Changed.ShouldBeEmpty();
    }

    [Fact]
    public void A_name_with_no_running_listener_is_started()
    {
        ListenerReloadPlanner.Decide(null, new ListenerOptions { Port = 0 }, out var reason).ShouldBe(ListenerReloadAction.Start);
        reason.ShouldBeNull();
    }
}
