// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.InteropServices;

namespace ConvViz.Imaging;

/// <summary>The type of a file system entry, as <c>stat</c> reports it (after following links).</summary>
internal enum FileKind
{
    /// <summary>The type could not be determined (no <c>stat</c> on this platform, or the call failed).</summary>
    Unknown,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A named pipe: opening it for reading waits for a writer.</summary>
    Fifo,

    /// <summary>A character device such as <c>/dev/zero</c> or a terminal.</summary>
    CharacterDevice,

    /// <summary>A block device such as a disk.</summary>
    BlockDevice,

    /// <summary>A Unix domain socket.</summary>
    Socket,
}

/// <summary>
/// Finds a path's file type without opening it, so FIFOs and devices are refused before an <c>open</c> that could
/// block forever (a FIFO waits for a writer) or have side effects (devices). .NET exposes no file type on Unix, so
/// this calls the C library: <c>statx</c> on Linux (a fixed, architecture-independent struct layout) and <c>stat</c>
/// on macOS. Windows has no such entries in folders; there it reports <see cref="FileKind.Unknown"/>.
/// </summary>
internal static class FileTypeProbe
{
    private const int LinuxAtFdCwd = -100;
    private const uint LinuxStatxType = 0x1;
    private const int LinuxStatxModeOffset = 28; // stx_mask, stx_blksize (u32), stx_attributes (u64), stx_nlink, stx_uid, stx_gid (u32), then stx_mode (u16)
    private const int MacStatModeOffset = 4;     // st_dev (i32), then st_mode (u16)
    private const int BufferSize = 512;          // larger than struct statx (256) and macOS' struct stat (144)

    private static readonly Lazy<Probe?> s_probe = new(CreateProbe);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int StatxFunction(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int StatFunction([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] buffer);

    private delegate int Probe(string path, out int mode);

    /// <summary>Gets a value indicating whether this platform can tell file types apart.</summary>
    public static bool IsSupported => s_probe.Value is not null;

    /// <summary>Gets the type of the entry at <paramref name="path"/>, following symbolic links to their final target.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The type, or <see cref="FileKind.Unknown"/> when it cannot be determined (including a missing file).</returns>
    public static FileKind GetKind(string path)
    {
        if (s_probe.Value is not { } probe || probe(path, out var mode) != 0)
        {
            return FileKind.Unknown;
        }

        return (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.Unknown,
        };
    }

    /// <summary>Describes a non-regular type for error messages ("a named pipe (FIFO)").</summary>
    /// <param name="kind">The type.</param>
    /// <returns>The description with its article.</returns>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.Fifo => "a named pipe (FIFO)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => "of an unknown type",
    };

    private static Probe? CreateProbe()
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                foreach (var name in new[] { "libc.so.6", "libc.so", "libc" })
                {
                    if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "statx", out var address))
                    {
                        var statx = Marshal.GetDelegateForFunctionPointer<StatxFunction>(address);
                        return (string path, out int mode) =>
                        {
                            var buffer = new byte[BufferSize];
                            var result = statx(LinuxAtFdCwd, path, 0, LinuxStatxType, buffer);
                            var ok = result == 0 && (BitConverter.ToUInt32(buffer, 0) & LinuxStatxType) != 0;
                            mode = ok ? ReadMode(buffer, LinuxStatxModeOffset) : 0;
                            return ok ? 0 : -1;
                        };
                    }
                }
            }
            else if (OperatingSystem.IsMacOS())
            {
                if (NativeLibrary.TryLoad("/usr/lib/libSystem.B.dylib", out var library) && NativeLibrary.TryGetExport(library, "stat", out var address))
                {
                    var stat = Marshal.GetDelegateForFunctionPointer<StatFunction>(address);
                    return (string path, out int mode) =>
                    {
                        var buffer = new byte[BufferSize];
                        var result = stat(path, buffer);
                        mode = result == 0 ? ReadMode(buffer, MacStatModeOffset) : 0;
                        return result;
                    };
                }
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or MarshalDirectiveException)
        {
            // No usable C library: the type stays unknown and files are opened as before.
        }

        return null;
    }

    // The structs are in native byte order.
    private static int ReadMode(byte[] buffer, int offset) => BitConverter.ToUInt16(buffer, offset);
}
