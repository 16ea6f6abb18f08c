using System.Net.Sockets;
using System.Runtime.InteropServices;
using Roadrunner.AspNetCore.Diagnostics;
using Roadrunner.AspNetCore.Listeners;

namespace Roadrunner.AspNetCore.Transport;

/// <summary>
/// Binds a Unix domain socket listener. A socket file left by a process that did not stop cleanly (nobody accepts on it)
/// is replaced; one that a live process serves is an address-in-use error; a path that is not a socket file is never
/// removed. The file's mode is set between bind and listen, so nobody connects under the umask's mode. The runtime removes
/// the file when the socket is closed (stop, drain).
/// </summary>
internal static class UnixListenSocket
{
    /// <exception cref="ListenerBindException">The path is served by another process, is not a socket, or cannot be bound.</exception>
    public static ListenSocket Bind(string listenerName, UnixDomainSocketEndPoint endPoint, string? mode, int backlog, RoadrunnerDiagnostics diagnostics)
    {
        var path = endPoint.ToString();
        if (File.Exists(path))
        {
            ReplaceIfStale(listenerName, endPoint, path, diagnostics);
        }

        Action? afterBind = null;
        if (mode is not null && UnixSocketAddress.TryParseMode(mode, out var fileMode))
        {
            afterBind = () =>
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, fileMode);
                }
            };
        }

        return ListenSocket.Bind(listenerName, endPoint, backlog, afterBind);
    }

    private static void ReplaceIfStale(string listenerName, UnixDomainSocketEndPoint endPoint, string path, RoadrunnerDiagnostics diagnostics)
    {
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(endPoint);
                throw new ListenerBindException(
                    listenerName,
                    endPoint,
                    addressInUse: true,
                    new IOException($"Another process accepts connections on the socket file {path}."));
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nobody listens: a socket file left behind, or not a socket at all (connect answers the same for both).
            }
            catch (SocketException ex)
            {
                throw new ListenerBindException(listenerName, endPoint, addressInUse: false, ex);
            }
        }

        if (!IsSocketFile(path))
        {
            throw new ListenerBindException(
                listenerName,
                endPoint,
                addressInUse: false,
                new IOException($"{path} exists and is not a socket file; it is left alone. Remove it or choose another path."));
        }

        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ListenerBindException(listenerName, endPoint, addressInUse: false, ex);
        }

        RoadrunnerLog.UnixSocketStaleReplaced(diagnostics.ListenersLogger, listenerName, path);
    }

    // S_IFMT and S_IFSOCK from <sys/stat.h>; STATX_TYPE asks for the file type only; AT_FDCWD for a path from the cwd.
    private const ushort FileTypeMask = 0xF000;
    private const ushort SocketFileType = 0xC000;
    private const uint StatxType = 0x1;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int StatxModeOffset = 28;
    private const int StatxSize = 256;

    /// <summary>
    /// Whether the path is a socket file (not followed if it is a symbolic link). .NET does not expose a file's type;
    /// statx's layout, unlike stat's, is the same on every Linux architecture. Elsewhere nothing is considered a stale
    /// socket, so nothing is removed.
    /// </summary>
    private static bool IsSocketFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var buffer = new byte[StatxSize];
        try
        {
            if (NativeMethods.Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // A libc without statx (glibc < 2.28): leave the file, the bind reports address in use.
        }

        var mode = BitConverter.ToUInt16(buffer, StatxModeOffset);
        return (mode & FileTypeMask) == SocketFileType;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
    }
}
