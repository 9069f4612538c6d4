// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace ConvViz.Tests.Visualization;

/// <summary>
/// Compares rendered images with reference PNGs under ReferenceOutput/&lt;TestClass&gt;/&lt;Test&gt;.png, with a tolerance:
/// per-pixel RGB Manhattan distances below <c>perPixelThreshold</c> are ignored, and the remaining total difference,
/// normalised by pixels × 3 × 255, must not exceed <c>imageThreshold</c>. On failure the actual image is written to
/// artifacts/test-output/ActualOutput/… . Set CONVVIZ_UPDATE_GOLDEN=1 to (re)write the references instead (never in CI).
/// </summary>
internal static class GoldenImage
{
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
        if (Environment.GetEnvironmentVariable("CONVVIZ_UPDATE_GOLDEN") == "1")
        {
            var sourceDir = FindProjectDirectory(callerFile);
            var target = Path.Combine(sourceDir, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            actual.SaveAsPng(target);
            return;
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
