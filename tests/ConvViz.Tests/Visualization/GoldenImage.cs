// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Visualization;

/// <summary>
/// Compares rendered images with reference PNGs under ReferenceOutput/&lt;TestClass&gt;/&lt;Test&gt;.png, with a tolerance:
/// per-pixel RGB Manhattan distances below <c>perPixelThreshold</c> are ignored, and the remaining total difference,
/// normalised by pixels × 3 × 255, must not exceed <c>imageThreshold</c>. On failure the actual image is written to
/// artifacts/test-output/ActualOutput/… . Set CONVVIZ_UPDATE_GOLDEN=1 to (re)write the references instead: each
/// test then writes its reference and fails with a message naming the file, as nothing was compared. Under CI
/// (CI=true) the variable is refused: every test that would compare fails.
/// </summary>
internal static class GoldenImage
{
    public const string UpdateVariable = "CONVVIZ_UPDATE_GOLDEN";

    public const int DefaultPerPixelThreshold = 3;

    public const double DefaultImageThreshold = 0.0005;

    public static void AssertMatches(
        Image<Rgb24> actual,
        string testClass,
        [CallerMemberName] string testName = "",
        int perPixelThreshold = DefaultPerPixelThreshold,
        double imageThreshold = DefaultImageThreshold,
        [CallerFilePath] string callerFile = "")
    {
        var relative = Path.Combine("ReferenceOutput", testClass, testName + ".png");
        if (UpdateRequested())
        {
            Update(Path.Combine(FindProjectDirectory(callerFile), relative), path => actual.SaveAsPng(path));
        }

        var referencePath = Path.Combine(AppContext.BaseDirectory, relative);
        if (!File.Exists(referencePath))
        {
            var written = WriteActual(actual, testClass, testName);
            Assert.Fail($"No reference image {relative}. Inspect {written}; if it is right, run the test with CONVVIZ_UPDATE_GOLDEN=1.");
        }

        using var expected = Image.Load<Rgb24>(referencePath);
        var (ok, message) = Compare(expected, actual, perPixelThreshold, imageThreshold);
        if (!ok)
        {
            var written = WriteActual(actual, testClass, testName);
            Assert.Fail($"{relative}: {message} Actual output: {written}");
        }
    }

    /// <summary>Whether the reference files are to be rewritten (CONVVIZ_UPDATE_GOLDEN=1); fails the test under CI.</summary>
    /// <returns><see langword="true"/> in update mode.</returns>
    public static bool UpdateRequested() =>
        UpdateRequested(Environment.GetEnvironmentVariable(UpdateVariable), Environment.GetEnvironmentVariable("CI"));

    /// <summary>Whether <paramref name="update"/> (the value of CONVVIZ_UPDATE_GOLDEN) asks for update mode; fails when <paramref name="ci"/> says CI.</summary>
    /// <param name="update">The value of CONVVIZ_UPDATE_GOLDEN, or null.</param>
    /// <param name="ci">The value of CI, or null.</param>
    /// <returns><see langword="true"/> when the references are to be rewritten.</returns>
    public static bool UpdateRequested(string? update, string? ci)
    {
        if (string.IsNullOrEmpty(update))
        {
            return false;
        }

        if (string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase) || ci == "1")
        {
            Assert.Fail($"{UpdateVariable}={update} is set under CI (CI={ci}): reference files are never rewritten in CI, and no comparison would run. Unset {UpdateVariable}.");
        }

        return update == "1";
    }

    /// <summary>Writes a reference file in update mode and fails the test with its path: nothing was compared.</summary>
    /// <param name="target">The reference file in the source tree.</param>
    /// <param name="write">Writes the file at the given path.</param>
    public static void Update(string target, Action<string> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        write(target);
        Assert.Fail($"{UpdateVariable}=1: wrote the reference {target} instead of comparing. Review the change (git diff), then run the test again without {UpdateVariable}.");
    }

    public static (bool Ok, string Message) Compare(Image<Rgb24> expected, Image<Rgb24> actual, int perPixelThreshold, double imageThreshold)
    {
        if (expected.Width != actual.Width || expected.Height != actual.Height)
        {
            return (false, $"size {actual.Width}×{actual.Height} differs from the reference {expected.Width}×{expected.Height}.");
        }

        var a = new Rgb24[expected.Width * expected.Height];
        var b = new Rgb24[a.Length];
        expected.CopyPixelDataTo(a);
        actual.CopyPixelDataTo(b);
        long total = 0;
        var worst = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = Math.Abs(a[i].R - b[i].R) + Math.Abs(a[i].G - b[i].G) + Math.Abs(a[i].B - b[i].B);
            worst = Math.Max(worst, d);
            if (d >= perPixelThreshold)
            {
                total += d;
            }
        }

        var normalised = total / (a.Length * 3.0 * 255.0);
        return normalised <= imageThreshold
            ? (true, string.Empty)
            : (false, $"total difference {normalised:P4} exceeds {imageThreshold:P4} (worst pixel distance {worst}).");
    }

    private static string WriteActual(Image<Rgb24> actual, string testClass, string testName)
    {
        var root = FindRepositoryRoot() ?? AppContext.BaseDirectory;
        var path = Path.Combine(root, "artifacts", "test-output", "ActualOutput", testClass, testName + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        actual.SaveAsPng(path);
        return path;
    }

    private static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConvViz.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static string FindProjectDirectory(string callerFile)
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(callerFile)!); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConvViz.Tests.csproj")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Cannot find the test project above {callerFile} to update reference images.");
    }
}
