using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Roadrunner.Bench.LoadClient;

/// <summary>A running Roadrunner.Bench.Server: its URLs (from the JSON line it prints) and its control endpoints.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _control;

    private ServerProcess(Process process, JsonObject urls)
    {
        _process = process;
        Urls = urls;
        _control = new HttpClient { BaseAddress = new Uri(Url("plainH1")), Timeout = TimeSpan.FromSeconds(60) };
    }

    public JsonObject Urls { get; }

    public int Pid => _process.Id;

    public string Url(string key) => Urls[key]!.GetValue<string>();

    public static async Task<ServerProcess> StartAsync(string serverDll)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(serverDll);
        start.Environment["DOTNET_gcServer"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("Cannot start the benchmark server.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("The benchmark server did not print its URLs within 60 s.");
        }

        if (line is null || JsonNode.Parse(line) is not JsonObject urls)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The benchmark server printed '{line}' instead of its URLs.");
        }

        // Keep draining stdout so the server never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        return new ServerProcess(process, urls);
    }

    public async Task<JsonObject> GetAsync(string path) =>
        (await _control.GetFromJsonAsync<JsonObject>(path))!;

    public async Task<JsonObject> PostAsync(string path)
    {
        using var response = await _control.PostAsync(path, content: null);
        response.EnsureSuccessStatusCode();
        var text = await response.Content.ReadAsStringAsync();
        return string.IsNullOrEmpty(text) ? [] : JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Bytes allocated, thread-pool work items completed and CPU time used by the server so far.</summary>
    public async Task<(long AllocatedBytes, long WorkItems, long CpuMicroseconds)> CountersAsync()
    {
        var counters = await GetAsync("/control/counters");
        return (counters["allocatedBytes"]!.GetValue<long>(), counters["workItems"]!.GetValue<long>(), counters["cpuMicroseconds"]!.GetValue<long>());
    }

    public async Task<JsonObject> StatsAsync(bool gc) => await GetAsync($"/control/stats?gc={(gc ? "true" : "false")}");

    public async Task<string> StartListenerAsync(string name, string protocol = "h1") =>
        (await PostAsync($"/control/listeners/{name}?protocol={protocol}"))["url"]!.GetValue<string>();

    public async Task<int> ActiveConnectionsAsync(string name) =>
        (await GetAsync($"/control/listeners/{name}"))["activeConnections"]!.GetValue<int>();

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _control.PostAsync("/control/shutdown", content: null, timeout.Token);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(exit.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException)
        {
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.StandardInput.Close();
            _process.Dispose();
            _control.Dispose();
        }
    }
}
