// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Text.RegularExpressions;

namespace ConvViz.Tests.Architecture;

/// <summary>
/// The version a reader is told to install is the version the projects build: every <c>#r "nuget: ConvViz…, x"</c>,
/// <c>dotnet add package ConvViz --version x</c> and "ConvViz x" in README, docs, samples and the notebook package's
/// README equals the <c>Version</c> of src/ConvViz and src/ConvViz.Interactive, and those two agree.
/// </summary>
public sealed partial class DocumentedVersionTests
{
    [Fact]
    public void EveryVersionADocumentNames_IsTheVersionTheProjectsBuild()
    {
        var repository = TestRepository.Root;
        var core = ProjectVersion(Path.Combine(repository, "src", "ConvViz", "ConvViz.csproj"));
        var interactive = ProjectVersion(Path.Combine(repository, "src", "ConvViz.Interactive", "ConvViz.Interactive.csproj"));
        Assert.Equal(core, interactive);

        var files = new[] { Path.Combine(repository, "README.md"), Path.Combine(repository, "src", "ConvViz.Interactive", "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(repository, "docs"), "*.md", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(Path.Combine(repository, "samples"), "*.*", SearchOption.AllDirectories)
                .Where(p => p.EndsWith(".ipynb", StringComparison.Ordinal) || p.EndsWith(".cs", StringComparison.Ordinal) || p.EndsWith(".md", StringComparison.Ordinal))
                .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)));
        var named = files
            .SelectMany(f => VersionMention().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetRelativePath(repository, f), Text: m.Value, Version: m.Groups["v"].Value)))
            .ToList();

        Assert.Contains(named, n => n.File == "README.md");
        var wrong = named.Where(n => n.Version != core).Select(n => $"{n.File}: '{n.Text}' (the projects build {core})").ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    private static string ProjectVersion(string csproj) =>
        Regex.Match(File.ReadAllText(csproj), "<Version>([^<]+)</Version>").Groups[1].Value;

    [GeneratedRegex(@"nuget: ConvViz(?:\.Interactive)?, (?<v>\d+\.\d+\.\d+[-\w.]*)|package ConvViz(?:\.Interactive)? --version (?<v>\d+\.\d+\.\d+[-\w.]*)|ConvViz(?:\.Interactive)?@(?<v>\d+\.\d+\.\d+[-\w.]*)|ConvViz (?<v>\d+\.\d+\.\d+) is not on nuget\.org")]
    private static partial Regex VersionMention();
}
