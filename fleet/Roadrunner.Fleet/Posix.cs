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
    /// <paramref name="count"/> distinct free loopback ports: all bound to port 0 at once (so the OS hands out distinct
    /// ones), then released for the processes that bind them next.
    /// </summary>
    public static int[] FreePorts(int count)
    {
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
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

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
