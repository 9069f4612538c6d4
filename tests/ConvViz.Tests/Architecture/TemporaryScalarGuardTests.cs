// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Collections.Immutable;
using ConvViz.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConvViz.Tests.Architecture;

/// <summary>
/// The guard against the whole class of issue 23's bug, a TorchSharp <c>Scalar</c> that the garbage collector frees while
/// libtorch reads it: the analyzer (CVZ0001, CVZ0002) must know every TorchSharp member that makes such a scalar, must
/// flag each way of writing one and accept the two safe patterns, and must find nothing in the library's sources.
/// </summary>
public sealed class TemporaryScalarGuardTests
{
    private static readonly string Repository = TestRepository.Root;

    [Fact]
    public void HiddenScalarList_EqualsWhatTorchSharpsIlCreates()
    {
        var scanned = TorchSharpScalarScan.HiddenScalarMembers(typeof(TorchSharp.Scalar).Assembly.Location);
        var listed = TemporaryScalarAnalyzer.HiddenMembers.Order(StringComparer.Ordinal).ToList();

        // The scan must find the members the bug report named, or it is not reading the IL it claims to.
        Assert.Contains("M:TorchSharp.torch.Tensor.add(TorchSharp.torch.Tensor)", scanned);
        Assert.Contains("M:TorchSharp.torch.Tensor.op_Addition(TorchSharp.torch.Tensor,TorchSharp.torch.Tensor)", scanned);
        Assert.DoesNotContain("M:TorchSharp.torch.Tensor.add(TorchSharp.torch.Tensor,TorchSharp.Scalar)", scanned);
        var missing = scanned.Except(listed).ToList();
        var stale = listed.Except(scanned).ToList();
        Assert.True(
            missing.Count == 0 && stale.Count == 0,
            $"src/ConvViz.Analyzers/HiddenScalarMembers.txt is out of date for this TorchSharp ({typeof(TorchSharp.Scalar).Assembly.GetName().Version}): " +
            $"{missing.Count} missing, {stale.Count} stale. Replace its lines with:\n{string.Join("\n", scanned)}");
    }

    [Theory]
    [InlineData("x.mul(2.0)", "CVZ0001")]
    [InlineData("x.clamp(0, 255)", "CVZ0001")]
    [InlineData("x * 0.5f", "CVZ0002")]
    [InlineData("x.mul((Scalar)2.0)", "CVZ0001")]
    [InlineData("x.mul(2.0.ToScalar())", "CVZ0001")]
    [InlineData("x.mul(ConvViz.Scalars.Create(2.0))", "CVZ0001")]
    [InlineData("torch.arange(10)", "CVZ0001")]
    [InlineData("x.add(y)", "CVZ0002")]
    [InlineData("x + y", "CVZ0002")]
    [InlineData("x.add_(y)", "CVZ0002")]
    [InlineData("x.square()", "CVZ0002")]
    public void Analyzer_FlagsEachWayOfMakingATemporaryScalar(string expression, string rule)
    {
        var diagnostics = Analyze($"var r = {expression};");

        Assert.Contains(diagnostics, d => d.Id == rule);
    }

    [Theory]
    [InlineData("var r = x.add(y, ConvViz.Scalars.One);")]
    [InlineData("var r = x.mul(ConvViz.Scalars.Two).pow(ConvViz.Scalars.Two);")]
    [InlineData("using var s = ConvViz.Scalars.Create(0.25); var r = x.mul(s);")]
    [InlineData("using var s = 0.25.ToScalar(); var r = x.mul(s);")]
    [InlineData("using (var s = (Scalar)3) { var r = x.mul(s); }")]
    [InlineData("var r = x.mul(Cached);")]
    [InlineData("var r = x * y - y;")]
    public void Analyzer_AcceptsTheSafePatterns(string statements)
    {
        Assert.Empty(Analyze(statements));
    }

    [Fact]
    public void Analyzer_FlagsAScalarKeptOnlyInAnInstanceField()
    {
        var diagnostics = Analyze("var r = x.mul(_field);", extraMembers: "private readonly Scalar _field = 2.0;");

        Assert.Contains(diagnostics, d => d.Id == "CVZ0001");
    }

    [Fact]
    public void LibrarySources_HaveNoTemporaryScalars()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(Repository, "src", "ConvViz"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.True(sources.Count > 50, $"Found only {sources.Count} library sources under {Repository}.");

        // The ONNX protobuf classes are generated into obj/ by Grpc.Tools at build: take this configuration's latest copy.
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;
        var generated = Path.Combine(Repository, "src", "ConvViz", "obj", configuration);
        sources.Add(GeneratedOnnxSubset(generated));

        var compilation = Compile(sources.Select(p => CSharpSyntaxTree.ParseText(File.ReadAllText(p), Options, p)), "ConvViz");
        // The [LoggerMessage] partial methods get their bodies from a source generator that this compilation does not run
        // (CS8795); every other error means the analysis below would not see the code as the build does.
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS8795").ToList();
        Assert.True(errors.Count == 0, "The library sources did not compile in the test: " + string.Join("\n", errors.Take(5)));
        var findings = RunAnalyzer(compilation);

        Assert.True(findings.Count == 0, string.Join("\n", findings));
        Assert.Contains("ConvViz.Analyzers.csproj", File.ReadAllText(Path.Combine(Repository, "src", "ConvViz", "ConvViz.csproj")), StringComparison.Ordinal);
        Assert.Contains("ConvViz.Analyzers.csproj", File.ReadAllText(Path.Combine(Repository, "src", "ConvViz.Interactive", "ConvViz.Interactive.csproj")), StringComparison.Ordinal);
    }

    private static readonly CSharpParseOptions Options = new(LanguageVersion.Preview);

    private static List<Diagnostic> Analyze(string statements, string extraMembers = "")
    {
        var code = $$"""
            using TorchSharp;
            using static TorchSharp.torch;

            namespace ConvViz
            {
                internal static class Scalars
                {
                    internal static readonly Scalar One = 1.ToScalar();
                    internal static readonly Scalar Two = 2.ToScalar();
                    internal static Scalar Create(double value) => value.ToScalar();
                }
            }

            namespace Sample
            {
                internal sealed class Subject
                {
                    private static readonly Scalar Cached = 0.5.ToScalar();
                    {{extraMembers}}

                    public void Run(Tensor x, Tensor y)
                    {
                        {{statements}}
                    }
                }
            }
            """;
        var compilation = Compile([CSharpSyntaxTree.ParseText(code, Options)], "Sample");
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The sample did not compile: " + string.Join("\n", errors));
        return RunAnalyzer(compilation);
    }

    /// <summary>
    /// Finds the generated ONNX protobuf classes of the last build: an older build may have left a copy under the
    /// proto file's former folder, which would define every class twice.
    /// </summary>
    internal static string GeneratedOnnxSubset(string objDirectory) =>
        Directory.EnumerateFiles(objDirectory, "OnnxSubset.cs", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault()
        ?? throw new FileNotFoundException($"No generated OnnxSubset.cs under {objDirectory}; build src/ConvViz first.");

    /// <summary>Compiles <paramref name="trees"/> as a library against the test's own references (the layering test reuses it).</summary>
    internal static CSharpCompilation Compile(IEnumerable<SyntaxTree> trees, string name)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Concat(AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && a.Location.Length > 0).Select(a => a.Location))
            .Where(p => !Path.GetFileNameWithoutExtension(p).Equals(name, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .Select(p => MetadataReference.CreateFromFile(p));
        var global = CSharpSyntaxTree.ParseText(
            "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; global using System.Threading; global using System.Threading.Tasks; global using System.Net.Http;",
            Options);
        return CSharpCompilation.Create(
            name,
            [global, .. trees],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
    }

    private static List<Diagnostic> RunAnalyzer(CSharpCompilation compilation)
    {
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new TemporaryScalarAnalyzer());
        return [.. compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()];
    }
}
