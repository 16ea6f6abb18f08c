using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Roadrunner.Bench.LoadClient;

/// <summary>What the figures were measured on.</summary>
internal static partial class Machine
{
    public static async Task<MachineInfo> DescribeAsync()
    {
        var info = new MachineInfo
        {
            Cores = Environment.ProcessorCount,
            CpuModel = FirstValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
            Memory = MemTotal(),
            Kernel = ReadTrimmed("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription,
            Os = OsRelease() ?? RuntimeInformation.OSDescription,
            Runtime = RuntimeInformation.FrameworkDescription,
        };
        info.DotnetInfo = await DotnetInfoAsync();
        info.Wrk = await FirstLineAsync("wrk", ["--version"]);
        info.H2load = await FirstLineAsync("h2load", ["--version"]);
        return info;
    }

    private static string? ReadTrimmed(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;

    private static string? FirstValue(string path, string key) =>
        File.Exists(path)
            ? File.ReadLines(path).Where(l => l.StartsWith(key, StringComparison.Ordinal)).Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()).FirstOrDefault()
            : null;

    private static string MemTotal()
    {
        var kb = FirstValue("/proc/meminfo", "MemTotal");
        if (kb is null)
        {
            return "unknown";
        }

        var value = long.Parse(kb.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return $"{value / 1024.0 / 1024.0:0.0} GiB";
    }

    private static string? OsRelease() =>
        File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").Where(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)).Select(l => l["PRETTY_NAME=".Length..].Trim('"')).FirstOrDefault()
            : null;

    private static async Task<string> DotnetInfoAsync()
    {
        try
        {
            var text = await LoadTools.RunAsync("dotnet", ["--info"], TimeSpan.FromSeconds(60));
            var host = HostVersionRegex().Match(text);
            var sdk = SdkVersionRegex().Match(text);
            var aspnet = AspNetRegex().Matches(text).Select(m => m.Groups[1].Value).LastOrDefault();
            return $"host {(host.Success ? host.Groups[1].Value : "?")}, SDK {(sdk.Success ? sdk.Groups[1].Value : "?")}, Microsoft.AspNetCore.App {aspnet ?? "?"}";
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return RuntimeInformation.FrameworkDescription;
        }
    }

    private static async Task<string> FirstLineAsync(string file, string[] args)
    {
        try
        {
            var text = await LoadTools.RunAsync(file, args, TimeSpan.FromSeconds(10), allowFailure: true);
            var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
            var copyright = line.IndexOf(" Copyright", StringComparison.Ordinal);
            return copyright > 0 ? line[..copyright] : line;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return "not installed";
        }
    }

    [GeneratedRegex(@"Host:\s*\n\s*Version:\s*(\S+)")]
    private static partial Regex HostVersionRegex();

    [GeneratedRegex(@"\.NET SDK:\s*\n\s*Version:\s*(\S+)")]
    private static partial Regex SdkVersionRegex();

    [GeneratedRegex(@"Microsoft\.AspNetCore\.App (\S+)")]
    private static partial Regex AspNetRegex();
}
