using System.Text;

namespace Roadrunner.AspNetCore.Listeners;

/// <summary>
/// The <c>unix:/absolute/path</c> form of <see cref="ListenerOptions.Address"/>: a Unix domain socket listener. The path
/// must be absolute and fit the kernel's 108-byte <c>sun_path</c> (107 bytes of UTF-8 and the terminating zero).
/// </summary>
internal static class UnixSocketAddress
{
    public const string Prefix = "unix:";

    /// <summary>The longest path in bytes (UTF-8), without the terminating zero.</summary>
    public const int MaxPathBytes = 107;

    /// <summary>Whether the address has the <c>unix:</c> form (valid or not).</summary>
    public static bool TryGetPath(string? address, out string path)
    {
        if (address is not null && address.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            path = address[Prefix.Length..];
            return true;
        }

        path = string.Empty;
        return false;
    }

    /// <summary>Why the path cannot be bound, or <see langword="null"/> when it can be tried.</summary>
    public static string? Problem(string path)
    {
        if (path.Length == 0)
        {
            return "the path is empty";
        }

        if (!path.StartsWith('/'))
        {
            return "the path must be absolute (unix:/run/app/a.sock)";
        }

        if (path.EndsWith('/'))
        {
            return "the path names a directory, not a socket file";
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            return "the path contains a NUL character";
        }

        var bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxPathBytes)
        {
            return $"the path is {bytes} bytes long; Unix domain socket paths are at most {MaxPathBytes} bytes (choose a shorter directory)";
        }

        var directory = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(directory) || !Directory.Exists(directory))
        {
            return $"the directory '{directory}' does not exist (create it first; the library creates only the socket file)";
        }

        return Directory.Exists(path) ? "the path is an existing directory" : null;
    }

    /// <summary>Parses a <see cref="ListenerOptions.UnixSocketMode"/> such as <c>"660"</c> or <c>"0660"</c>.</summary>
    public static bool TryParseMode(string? text, out UnixFileMode mode)
    {
        mode = default;
        if (string.IsNullOrEmpty(text) || text.Length > 4 || text.Any(c => c is < '0' or > '7'))
        {
            return false;
        }

        var value = Convert.ToInt32(text, 8);
        if (value > 0x1FF)
        {
            return false; // No setuid, setgid or sticky bits on a socket file.
        }

        mode = (UnixFileMode)value;
        return true;
    }
}
