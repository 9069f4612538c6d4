// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ConvViz.Tests.Architecture;

/// <summary>
/// The library's stages form a one-way stack (root runtime → Imaging → Data → Augmentation → Layers → Models →
/// Training → Inspection → Visualization): a namespace may use only the ones below it. Read from the sources, so a new
/// <c>using</c> or fully qualified name that reaches up fails here, and docs/architecture.md's picture must list
/// exactly the dependencies the code has. The layers (<c>ConvViz.Models.Layers</c>) sit inside Models' namespace, so
/// they would see Models' types without any <c>using</c>; for them the stages below are compiled on their own.
/// </summary>
public sealed partial class NamespaceLayeringTests
{
    /// <summary>The stack, bottom first; a namespace's sub-namespaces (Models.Keras, Models.Onnx) belong to its stage, except <see cref="NestedStages"/>.</summary>
    private static readonly string[] Stack = ["ConvViz", "Imaging", "Data", "Augmentation", "Layers", "Models", "Training", "Inspection", "Visualization"];

    /// <summary>Namespaces that are a stage of their own inside another stage's namespace: the layers, the leaf Models builds on.</summary>
    private static readonly Dictionary<string, string> NestedStages = new(StringComparer.Ordinal) { ["ConvViz.Models.Layers"] = "Layers" };

    /// <summary>Doc comments are parsed and their <c>cref</c>s bound, so a documentation link that reaches up is seen too.</summary>
    private static readonly CSharpParseOptions Documented = new(LanguageVersion.Preview, DocumentationMode.Diagnose);

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

        // A layer naming Models reaches up; Models naming a layer type is the allowed direction; ONNX and Keras are Models.
        var layer = Uses("using ConvViz.Models.Layers;\nnamespace ConvViz.Models.Layers;\nvar m = ConvViz.Models.Model.Load(path);", Stage("ConvViz.Models.Layers"));
        Assert.Equal(["Models"], layer);
        Assert.True(Level("Models") > Level("Layers"));
        var model = Uses("using ConvViz.Models.Layers;\nnamespace ConvViz.Models;\nvar k = new ConvViz.Models.Layers.Size2D(3, 3);", "Models");
        Assert.Equal(["Layers"], model);
        Assert.Equal(["Models", "Models"], [Stage("ConvViz.Models.Onnx"), Stage("ConvViz.Models.Keras")]);
    }

    [Fact]
    public void The_layers_compile_with_only_the_stages_below_them()
    {
        var problems = CompileUpTo("Layers", probe: null);

        Assert.True(problems.Count == 0, "ConvViz.Models.Layers must not use ConvViz.Models (code or doc links):\n" + string.Join("\n", problems.Take(10)));
    }

    [Fact]
    public void The_compile_check_sees_a_layer_that_names_the_model()
    {
        // Models' types are in the layers' enclosing namespace: no using, no qualified name, only a compile sees them.
        const string Probe = """
            namespace ConvViz.Models.Layers;

            /// <summary>Made up: reaches up in a doc link (<see cref="Model.Freeze()"/>) and in code.</summary>
            internal static class Probe
            {
                internal static int Count(SequentialBuilder builder) => 0;
            }
            """;

        var problems = CompileUpTo("Layers", Probe);

        Assert.True(problems.Any(p => p.Contains("CS0246", StringComparison.Ordinal) && p.Contains("SequentialBuilder", StringComparison.Ordinal)), string.Join("\n", problems));
        Assert.True(problems.Any(p => p.Contains("CS1574", StringComparison.Ordinal) && p.Contains("'Freeze()'", StringComparison.Ordinal)), string.Join("\n", problems));
    }

    private static int Level(string stage) => Array.IndexOf(Stack, stage) is var i and >= 0
        ? i
        : throw new InvalidOperationException($"Namespace stage '{stage}' is not in the layering stack; add it to NamespaceLayeringTests.Stack and docs/architecture.md.");

    private static string Stage(string ns)
    {
        foreach (var (prefix, stage) in NestedStages)
        {
            if (ns == prefix || ns.StartsWith(prefix + ".", StringComparison.Ordinal))
            {
                return stage;
            }
        }

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
                stages.Add(Stage(m.Value));
            }
        }

        stages.Remove(from);
        return stages;
    }

    /// <summary>
    /// Compiles the sources of <paramref name="stage"/> and every stage below it (with the generated ONNX classes, and
    /// <paramref name="probe"/> when given) and returns the errors and unresolved doc links: a type from a stage above
    /// is then simply not there.
    /// </summary>
    private static List<string> CompileUpTo(string stage, string? probe)
    {
        var trees = SourceFiles()
            .Where(f => Level(Stage(f.Namespace)) <= Level(stage))
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f.Path), Documented, f.Path))
            .ToList();
        Assert.Contains(trees, t => t.FilePath.EndsWith("LayerOptions.cs", StringComparison.Ordinal));

        // The ONNX protobuf classes (root namespace) are generated into obj/ at build: take this configuration's copy.
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;
        var generated = TemporaryScalarGuardTests.GeneratedOnnxSubset(Path.Combine(Repository, "src", "ConvViz", "obj", configuration));
        trees.Add(CSharpSyntaxTree.ParseText(File.ReadAllText(generated), Documented, generated));
        if (probe is not null)
        {
            trees.Add(CSharpSyntaxTree.ParseText(probe, Documented, "Probe.cs"));
        }

        // CS8795: [GeneratedRegex] and [LoggerMessage] bodies come from source generators this compilation does not run.
        return TemporaryScalarGuardTests.Compile(trees, "ConvViz").GetDiagnostics()
            .Where(d => (d.Severity == DiagnosticSeverity.Error && d.Id != "CS8795") || d.Id is "CS1574" or "CS1580" or "CS1581" or "CS1584")
            .Select(d => d.ToString())
            .ToList();
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

    [GeneratedRegex(@"\bConvViz(?:\.[A-Z][A-Za-z0-9]*)+\b")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"```mermaid\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex MermaidBlock();
}
