using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Roadrunner.Fleet;

/// <summary>Signals and ports: what the orchestration needs from the operating system.</summary>
internal static partial class Posix
{
    private const int SigTerm = 15;

    /// <summary>
    /// Sends SIGTERM to <paramref name="pid"/>, a process this driver started (Process.Kill would be SIGKILL, which no
    /// app can drain on). An already-exited process (ESRCH) is not an error.
    /// </summary>
    public static void Terminate(int pid)
    {
        if (Kill(pid, SigTerm) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            const int noSuchProcess = 3;
            if (errno != noSuchProcess)
            {
                throw new Win32Exception(errno, $"kill({pid}, SIGTERM) failed");
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> distinct free loopback ports for the instances and HAProxy, which bind them themselves
    /// (and bind them again on every restart). Picked below the kernel's ephemeral range: the thousands of client
    /// connections of a run take their local ports from that range, and one of them landing on an instance's port while
    /// it restarts would make the restart fail to bind. Each is checked with a bind (all held at once, so they differ),
    /// then released. Without a readable range, the OS hands out port-0 ports as before.
    /// </summary>
    public static int[] FreePorts(int count)
    {
        var sockets = new List<Socket>();
        try
        {
            var (low, _) = EphemeralRange();
            var candidates = low > 10_000 + (100 * count)
                ? Enumerable.Range(10_000, low - 10_000).OrderBy(_ => Random.Shared.Next()).Take(50 * count)
                : [];
            foreach (var port in candidates)
            {
                if (sockets.Count == count)
                {
                    break;
                }

                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                    sockets.Add(socket);
                }
                catch (SocketException)
                {
                    socket.Dispose(); // In use: try the next one.
                }
            }

            while (sockets.Count < count)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }

            return [.. sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port)];
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return (0, 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
