// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.RegularExpressions;
using ConvViz.Models.Layers;

namespace ConvViz.Tests.Architecture;

/// <summary>
/// Code outside a layer's own file asks the layer what it can do (<see cref="LayerOptions.HasFilters"/>,
/// <see cref="LayerOptions.IsTrainingOnly"/>, the output shape) instead of testing its type, so that a new layer type
/// needs no edits elsewhere. Read from the sources of <c>src/ConvViz</c> and <c>src/ConvViz.Interactive</c>: a type
/// test of a <see cref="LayerOptions"/> subtype (<c>is</c>, <c>as</c>, <c>case</c>, a switch arm, <c>typeof</c>,
/// <c>OfType</c>) or of its type string (<c>TypeName == "Conv2D"</c>) outside the file that declares the record fails.
/// </summary>
public sealed class LayerTypeTestTests
{
    private static readonly string Repository = FindRepository();

    /// <summary>Every record deriving from <see cref="LayerOptions"/>, abstract ones included (Pooling2DOptions).</summary>
    private static readonly string[] LayerTypes =
        [.. typeof(LayerOptions).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(LayerOptions))).Select(t => t.Name)];

    [Fact]
    public void No_source_file_tests_the_type_of_a_layer_outside_its_own_file()
    {
        var sources = SourceFiles().Select(p => (Path: p, Text: File.ReadAllText(p))).ToList();
        var owners = LayerTypes.ToDictionary(t => t, t => sources.Where(s => Regex.IsMatch(s.Text, $@"\brecord\s+{t}\b")).Select(s => s.Path).ToList());
        Assert.All(owners, o => Assert.True(o.Value.Count == 1, $"{o.Key} should be declared in exactly one file; found {o.Value.Count}."));

        var violations = sources
            .SelectMany(s => TypeTests(s.Text).Where(t => t.Type is null || owners[t.Type][0] != s.Path)
                .Select(t => $"{Path.GetRelativePath(Repository, s.Path)}:{t.Line}: {t.Code}"))
            .ToList();

        Assert.True(violations.Count == 0,
            "Ask the layer (LayerOptions.HasFilters, IsTrainingOnly, LayerInfo.OutputShape.IsSpatial) instead of testing its type:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_checker_sees_a_type_test_when_there_is_one()
    {
        const string Source = """
            // a comment: l.Options is Conv2DOptions is not code
            var a = model.Layers.Where(l => l.Options is Conv2DOptions);
            var b = layer.Options is not DropoutOptions;
            var c = layer.Options as DenseOptions;
            var d = layer.Options switch
            {
                MaxPooling2DOptions pool => 1,
                Pooling2DOptions => 2,
                _ => 0,
            };
            switch (layer.Options) { case FlattenOptions: break; }
            var e = model.Layers.Select(l => l.Options).OfType<BatchNormalizationOptions>();
            var f = layer.TypeName == "Conv2D";
            var g = layer.Options.GetType() == typeof(ZeroPadding2DOptions);
            var h = new Conv2DOptions { Filters = 3, KernelSize = 3 };
            var i = l.Options.HasFilters && l.OutputShape.IsSpatial;
            """;

        var found = TypeTests(Source).Select(t => t.Line).ToList();

        Assert.Equal([2, 3, 4, 7, 8, 11, 12, 13, 14], found);
    }

    /// <summary>The type tests in a source text: line, code and the layer type tested (null for a test of the type string).</summary>
    private static List<(int Line, string Code, string? Type)> TypeTests(string source)
    {
        var types = string.Join("|", LayerTypes);
        var patterns = new[]
        {
            new Regex($@"\b(?:is|as|case|or|and)\s+(?:not\s+)?\(?\s*(?<type>{types})\b"),
            new Regex($@"^\s*(?<type>{types})(?:\s+\w+)?\s*(?:=>|when\b)"),
            new Regex($@"\b(?:typeof|OfType<)\s*\(?\s*(?<type>{types})\b"),
            new Regex(@"\bTypeName\s*(?:==|!=|is\b)|""\s*(?:==|!=)\s*\w+(?:\.\w+)*\.TypeName\b|\.Equals\([^)]*TypeName"),
        };

        var result = new List<(int, string, string?)>();
        var lines = source.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var code = lines[i].Trim();
            if (code.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var pattern in patterns)
            {
                var match = pattern.Match(code);
                if (match.Success)
                {
                    result.Add((i + 1, code, match.Groups["type"].Success ? match.Groups["type"].Value : null));
                    break;
                }
            }
        }

        return result;
    }

    private static IEnumerable<string> SourceFiles()
    {
        foreach (var project in new[] { "ConvViz", "ConvViz.Interactive" })
        {
            var root = Path.Combine(Repository, "src", project);
            foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
            {
                if (Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar)[0] is not ("obj" or "bin"))
                {
                    yield return path;
                }
            }
        }
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
}
