// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Tests.Data;

namespace ConvViz.Tests.Models;

/// <summary>The one atomic writer: the target is replaced whole or left as it was, and no temporary file stays behind.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Write_ReplacesTheTarget_AndLeavesOnlyIt()
    {
        var path = _temp.Combine("a.bin");
        File.WriteAllText(path, "old");
        var written = AtomicFile.Write(path, s => s.Write("new content"u8));
        Assert.Equal(Path.GetFullPath(path), written);
        Assert.Equal("new content", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void Write_CallbackThrows_KeepsTheOldFile_AndDeletesTheTemporary()
    {
        var path = _temp.Combine("a.bin");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("half"u8);
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void Write_CreatesTheFolderOnlyWhenAsked()
    {
        var path = _temp.Combine("sub", "b.bin");
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(path, s => s.WriteByte(1)));
        AtomicFile.Write(path, s => s.WriteByte(1), createDirectory: true);
        Assert.Equal([1], File.ReadAllBytes(path));
    }
}
