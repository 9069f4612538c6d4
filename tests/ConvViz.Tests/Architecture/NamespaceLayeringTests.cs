// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.RegularExpressions;

namespace ConvViz.Tests.Architecture;

/// <summary>
/// The library's stages form a one-way stack (root runtime → Imaging → Data → Augmentation → Models → Training →
/// Inspection → Visualization): a namespace may use only the ones below it. Read from the sources, so a new
/// <c>using</c> or fully qualified name that reaches up fails here, and docs/architecture.md's picture must list
/// exactly the dependencies the code has.
/// </summary>
public sealed partial class NamespaceLayeringTests
{
    /// <summary>The stack, bottom first; a namespace's sub-namespaces (Models.Layers) belong to its stage.</summary>
    private static readonly string[] Stack = ["ConvViz", "Imaging", "Data", "Augmentation", "Models", "Training", "Inspection", "Visualization"];

    private static readonly string Repository = FindRepository();

    [Fact]
    public void Every_source_file_declares_the_namespace_of_its_folder()
    {
        var wrong = SourceFiles()
            .Select(f => (f.Path, Declared: NamespaceDeclaration().Match(File.ReadAllText(f.Path)).Groups[1].Value, Expected: f.Namespace))
            .Where(f => f.Declared != f.Expected)
            .Select(f => $"{f.Path}: declares {f.Declared}, folder says {f.Expected}")
            .ToList();

        Assert.Empty(wrong);
    }

    [Fact]
    public void No_namespace_uses_one_above_it()
    {
        var violations = Dependencies()
            .Where(d => Level(d.To) > Level(d.From))
            .Select(d => $"{d.File}: {d.From} uses {d.To}, which is above it")
            .ToList();

        Assert.Empty(violations);
    }

    [Fact]
    public void The_architecture_picture_shows_exactly_the_dependencies_in_the_code()
    {
        var actual = Dependencies().Select(d => $"{d.From} --> {d.To}").Distinct().Order(StringComparer.Ordinal).ToList();
        var doc = File.ReadAllText(Path.Combine(Repository, "docs", "architecture.md"));
        var block = MermaidBlock().Match(doc);
        Assert.True(block.Success, "docs/architecture.md needs a ```mermaid block with the namespace graph.");
        var drawn = block.Groups[1].Value.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Contains("-->", StringComparison.Ordinal))
            .Select(l => Regex.Replace(l, @"\s+", " "))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(actual, drawn);
    }

    [Fact]
    public void The_checker_sees_a_reach_up_when_there_is_one()
    {
        // The rule itself, on a made-up file: Imaging using Models must count as a violation.
        var deps = Uses("using ConvViz.Models;\nnamespace ConvViz.Imaging;\nvar x = ConvViz.Visualization.FeatureMapGrid.Render(t);", "Imaging");

        Assert.Equal(["Models", "Visualization"], deps.Order(StringComparer.Ordinal));
        Assert.All(deps, d => Assert.True(Level(d) > Level("Imaging")));
    }

    private static int Level(string stage) => Array.IndexOf(Stack, stage) is var i and >= 0
        ? i
        : throw new InvalidOperationException($"Namespace stage '{stage}' is not in the layering stack; add it to NamespaceLayeringTests.Stack and docs/architecture.md.");

    private static string Stage(string ns)
    {
        var parts = ns.Split('.');
        return parts.Length == 1 ? "ConvViz" : parts[1];
    }

    private static IEnumerable<(string Path, string Namespace)> SourceFiles()
    {
        var src = Path.Combine(Repository, "src", "ConvViz");
        foreach (var path in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(src, Path.GetDirectoryName(path)!);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "obj" or "bin")
            {
                continue;
            }

            yield return (path, relative == "." ? "ConvViz" : "ConvViz." + relative.Replace(Path.DirectorySeparatorChar, '.'));
        }
    }

    private static List<(string File, string From, string To)> Dependencies()
    {
        var result = new List<(string, string, string)>();
        foreach (var (path, ns) in SourceFiles())
        {
            var from = Stage(ns);
            foreach (var to in Uses(File.ReadAllText(path), from))
            {
                result.Add((Path.GetFileName(path), from, to));
            }
        }

        return result;
    }

    /// <summary>The other stages a source text names: by <c>using</c> or by a fully qualified <c>ConvViz.X.</c> name outside comments.</summary>
    private static HashSet<string> Uses(string source, string from)
    {
        var stages = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in source.Split('\n'))
        {
            var code = line.TrimStart();
            if (code.StartsWith("//", StringComparison.Ordinal) || code.StartsWith("namespace ", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (Match m in QualifiedName().Matches(code))
            {
                stages.Add(m.Groups[1].Value);
            }
        }

        stages.Remove(from);
        return stages;
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConvViz.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ConvViz.sln not found above the test directory; run the tests from the repository.");
    }

    [GeneratedRegex(@"^namespace\s+([A-Za-z.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"\bConvViz\.([A-Z][A-Za-z]*)\b")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"```mermaid\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex MermaidBlock();
}
