using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Roadrunner.AspNetCore.Tests.Packaging;

/// <summary>
/// The library binds its configuration section property by property (trim- and AOT-safe through the binding source
/// generator) instead of with the reflection binder. These tests find every settable option property by reflection,
/// so a property added to the options without a line in the binder fails here rather than being silently ignored.
/// </summary>
public sealed class ConfigurationBindingTests
{
    // Code-only: an X509Certificate2 object cannot come from configuration (CertificatePath/CertificateSubject can).
    private static readonly string[] CodeOnlyListenerProperties = [nameof(ListenerOptions.Certificate)];

    [Fact]
    public void Every_settable_listener_option_is_bound_from_configuration()
    {
        var properties = SettableProperties<ListenerOptions>().Where(p => !CodeOnlyListenerProperties.Contains(p.Name)).ToList();
        var defaults = new ListenerOptions();
        var samples = properties.ToDictionary(p => p.Name, p => Sample(p, p.GetValue(defaults)));

        // A nested limit (RateLimit, MinRequestBodyDataRate) is bound key by key: Text holds "Key=value;Key=value".
        var options = Bind(samples.SelectMany(s => Keys($"Roadrunner:Listeners:conf:{s.Key}", s.Value.Text)).ToDictionary(k => k.Key, k => (string?)k.Value));

        var listener = options.Listeners["CONF"];   // names are case-insensitive
        foreach (var property in properties)
        {
            property.GetValue(listener).ShouldBe(samples[property.Name].Value, $"ListenerOptions.{property.Name}");
        }
    }

    [Fact]
    public void Every_settable_roadrunner_option_is_bound_from_configuration()
    {
        var properties = SettableProperties<RoadrunnerOptions>().ToList();
        var defaults = new RoadrunnerOptions();
        var samples = properties.ToDictionary(p => p.Name, p => Sample(p, p.GetValue(defaults)));

        var options = Bind(samples.ToDictionary(s => $"Roadrunner:{s.Key}", s => (string?)s.Value.Text));

        foreach (var property in properties)
        {
            property.GetValue(options).ShouldBe(samples[property.Name].Value, $"RoadrunnerOptions.{property.Name}");
        }
    }

    [Fact]
    public void Keys_that_are_not_configured_and_empty_values_keep_the_defaults()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Roadrunner:Listeners:plain:Port"] = "",
            ["Roadrunner:Listeners:plain:MaxConnections"] = "",
        });

        var listener = options.Listeners["plain"];
        listener.Port.ShouldBe(0);
        listener.Address.ShouldBe("127.0.0.1");
        listener.MaxConnections.ShouldBeNull();
        listener.Protocols.ShouldBe(ListenerProtocols.Http1);
        options.ShutdownDrainMargin.ShouldBe(TimeSpan.FromSeconds(2));
        options.BindServerUrls.ShouldBeTrue();
    }

    [Fact]
    public void A_value_that_does_not_parse_fails_with_the_key_path_as_with_the_reflection_binder()
    {
        var error = Should.Throw<InvalidOperationException>(() => Bind(new Dictionary<string, string?>
        {
            ["Roadrunner:Listeners:bad:Port"] = "eighty",
        }));

        error.Message.ShouldContain("Roadrunner:Listeners:bad:Port");
    }

    [Fact]
    public void A_certificate_object_in_configuration_is_refused_with_the_settings_to_use_instead()
    {
        var error = Should.Throw<InvalidOperationException>(() => Bind(new Dictionary<string, string?>
        {
            ["Roadrunner:Listeners:tls:Certificate"] = "certs/server.pfx",
        }));

        error.Message.ShouldContain("Roadrunner:Listeners:tls:Certificate");
        error.Message.ShouldContain("CertificatePath");
    }

    [Fact]
    public void Code_configuration_runs_after_the_section_and_a_configuration_reload_reaches_the_options_monitor()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Roadrunner:Listeners:admin:Port"] = "5080" })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddRoadrunner(o => o.Listeners["admin"].MaxConnections = 5);
        using var provider = services.BuildServiceProvider();
        var monitor = provider.GetRequiredService<IOptionsMonitor<RoadrunnerOptions>>();

        monitor.CurrentValue.Listeners["admin"].Port.ShouldBe(5080);
        monitor.CurrentValue.Listeners["admin"].MaxConnections.ShouldBe(5);

        configuration["Roadrunner:Listeners:admin:Port"] = "5081";
        configuration.Reload();

        monitor.CurrentValue.Listeners["admin"].Port.ShouldBe(5081);
    }

    [Fact]
    public void The_library_assembly_is_marked_trimmable()
    {
        // IsAotCompatible=true implies IsTrimmable, which the SDK records in the assembly.
        typeof(ListenerOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ShouldContain(a => a.Key == "IsTrimmable" && a.Value == "True");
    }

    // Applies what AddRoadrunner registers for the options (configuration, then code) without the validators,
    // which would reject some sample values (a certificate path that does not exist, for one).
    private static RoadrunnerOptions Bind(IDictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddRoadrunner();
        using var provider = services.BuildServiceProvider();
        var options = new RoadrunnerOptions();
        foreach (var configure in provider.GetServices<IConfigureOptions<RoadrunnerOptions>>())
        {
            configure.Configure(options);
        }

        return options;
    }

    private static IEnumerable<KeyValuePair<string, string>> Keys(string key, string text) =>
        text.Contains(';', StringComparison.Ordinal)
            ? text.Split(';').Select(part => part.Split('=', 2)).Select(kv => new KeyValuePair<string, string>($"{key}:{kv[0]}", kv[1]))
            : [new KeyValuePair<string, string>(key, text)];

    private static IEnumerable<PropertyInfo> SettableProperties<T>() =>
        typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true });

    // A configuration text and the value it must bind to, different from the property's default.
    private static (string Text, object Value) Sample(PropertyInfo property, object? defaultValue)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type == typeof(string))
        {
            return ($"sample-{property.Name}", $"sample-{property.Name}");
        }

        if (type == typeof(int))
        {
            return ("4321", 4321);
        }

        if (type == typeof(bool))
        {
            var value = defaultValue is not true;
            return (value.ToString(CultureInfo.InvariantCulture), value);
        }

        if (type == typeof(TimeSpan))
        {
            var value = TimeSpan.FromMilliseconds(7250);
            return (value.ToString("c", CultureInfo.InvariantCulture), value);
        }

        if (type.IsEnum)
        {
            var value = Enum.GetValues(type).Cast<object>().First(v => !v.Equals(defaultValue));
            return (value.ToString()!, value);
        }

        if (type == typeof(long))
        {
            return ("987654321", 987654321L);
        }

        if (type == typeof(double))
        {
            return ("1234.5", 1234.5);
        }

        if (type == typeof(ListenerRateLimit))
        {
            return ("PermitsPerSecond=7;Burst=11", new ListenerRateLimit { PermitsPerSecond = 7, Burst = 11 });
        }

        if (type == typeof(ListenerDataRate))
        {
            return ("BytesPerSecond=321.5;GracePeriod=00:00:07", new ListenerDataRate { BytesPerSecond = 321.5, GracePeriod = TimeSpan.FromSeconds(7) });
        }

        throw new InvalidOperationException(
            $"No sample for {property.DeclaringType!.Name}.{property.Name} ({property.PropertyType}): add one here, and bind the " +
            "property in RoadrunnerServiceCollectionExtensions.BindRoadrunnerSection (or list it as code-only).");
    }
}
