// Copyright (c) ConvViz contributors. Licensed under the MIT License.

// Runs a Jupyter notebook (.ipynb) headlessly in an in-process .NET Interactive C# kernel, the way Polyglot Notebooks
// runs it: packages come only from the notebook's #i / #r "nuget: ..." lines, and a package's .NET Interactive extension
// (interactive-extensions/dotnet/*.dll with an IKernelExtension type) is loaded after the cell that adds the package,
// as dotnet-interactive's UseNuGetExtensions does. Every code cell must succeed; a cell whose metadata has a
// "convviz_check" object must produce the outputs it names. The executed notebook (with outputs) can be written.
//
//   NotebookRunner <notebook.ipynb> [--packages <folder>] [--write <executed.ipynb>] [--expect-extension <type>]
//
// --packages replaces the folder of every local `#i "nuget: <folder>"` line by <folder> (the CI feed).
// --expect-extension fails the run unless an IKernelExtension of that full type name was loaded from a package.
// Cell numbers count every cell from 1, markdown included, as a notebook front end shows them.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.PackageManagement;

string? notebookPath = null, packages = null, write = null, expectedExtension = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--packages" when i + 1 < args.Length: packages = Path.GetFullPath(args[++i]); break;
        case "--write" when i + 1 < args.Length: write = Path.GetFullPath(args[++i]); break;
        case "--expect-extension" when i + 1 < args.Length: expectedExtension = args[++i]; break;
        default: notebookPath = Path.GetFullPath(args[i]); break;
    }
}

if (notebookPath is null || !File.Exists(notebookPath))
{
    Console.Error.WriteLine("usage: NotebookRunner <notebook.ipynb> [--packages <folder>] [--write <executed.ipynb>] [--expect-extension <type>]");
    return 2;
}

var kernelInfos = new KernelInfoCollection { new("csharp", "C#", ["c#", "C#"]) };
InteractiveDocument document;
await using (var stream = File.OpenRead(notebookPath))
{
    document = Notebook.Read(stream, kernelInfos);
}

// Relative paths in the notebook are relative to its folder, as in VS Code and Jupyter.
Directory.SetCurrentDirectory(Path.GetDirectoryName(notebookPath)!);
using var kernel = NotebookKernel.Create(out var loadedExtensions);
var clock = Stopwatch.StartNew();
var cellNumber = 0;
var checkedCells = 0;
string? writtenFeed = null;
foreach (var cell in document.Elements)
{
    cellNumber++;
    if (cell.KernelName is "markdown" or "md")
    {
        continue;
    }

    var code = packages is null ? cell.Contents : LocalFeed().Replace(cell.Contents, m =>
    {
        writtenFeed = m.Groups[1].Value.Trim();
        return $"#i \"nuget: {packages}\"";
    });
    var cellClock = Stopwatch.StartNew();
    var outputs = await NotebookKernel.RunAsync(kernel, code);
    if (writtenFeed is not null)
    {
        // The saved outputs name the notebook's folder, not this machine's: later #r cells list the feed among their
        // restore sources too.
        outputs.ReplaceText(packages!, writtenFeed);
    }

    cell.Outputs.Clear();
    cell.Outputs.AddRange(outputs.Elements);
    cell.ExecutionOrder = cellNumber;
    if (outputs.Error is { } error)
    {
        Console.WriteLine($"notebook: cell {cellNumber} failed: {error}");
        Console.WriteLine(Indent(code));
        WriteExecuted();
        return 1;
    }

    var problems = Checks.Run(cell.Metadata, outputs);
    Console.WriteLine($"notebook: cell {cellNumber} ok in {cellClock.Elapsed.TotalSeconds:F1} s ({outputs.Summary})");
    if (problems.Count > 0)
    {
        foreach (var problem in problems)
        {
            Console.WriteLine($"notebook: cell {cellNumber} failed its check: {problem}");
        }

        WriteExecuted();
        return 1;
    }

    if (Checks.Has(cell.Metadata))
    {
        checkedCells++;
    }
}

Console.WriteLine($"notebook: extensions loaded: {(loadedExtensions.IsEmpty ? "none" : string.Join(", ", loadedExtensions))}");
if (expectedExtension is not null && !loadedExtensions.Any(e => e.StartsWith(expectedExtension + " from ", StringComparison.Ordinal)))
{
    Console.WriteLine($"notebook: failed: the extension {expectedExtension} was not loaded from a package's interactive-extensions/dotnet folder");
    WriteExecuted();
    return 1;
}

WriteExecuted();
Console.WriteLine($"notebook: all {cellNumber} cells ran ({checkedCells} with output checks) in {clock.Elapsed.TotalSeconds:F0} s");
return 0;

void WriteExecuted()
{
    if (write is null)
    {
        return;
    }

    Directory.CreateDirectory(Path.GetDirectoryName(write)!);
    var temp = write + ".tmp";
    using (var stream = File.Create(temp))
    {
        Notebook.Write(document, stream, kernelInfos);
    }

    File.Move(temp, write, overwrite: true);
    Console.WriteLine($"notebook: wrote {write}");
}

static string Indent(string code) => string.Join('\n', code.Split('\n').Select(l => "    | " + l));

static Regex LocalFeed() => new("""#i\s+"nuget:\s*(?!https?:)([^"]*)" """.TrimEnd(), RegexOptions.Multiline);

/// <summary>The kernel Polyglot Notebooks starts for C#, with dotnet-interactive's package-extension loading.</summary>
internal static class NotebookKernel
{
    public static CompositeKernel Create(out ConcurrentBag<string> loadedExtensions)
    {
        var csharp = new CSharpKernel()
            .UseNugetDirective((k, references) =>
            {
                k.AddAssemblyReferences(references.SelectMany(r => r.AssemblyPaths));
                return Task.CompletedTask;
            })
            .UseKernelHelpers()
            .UseValueSharing();
        var composite = new CompositeKernel { csharp };
        composite.DefaultKernelName = csharp.Name;
        var loaded = new ConcurrentBag<string>();
        loadedExtensions = loaded;

        // dotnet-interactive's KernelExtensionLoader.UseNuGetExtensions: after a command, look into every added
        // package's interactive-extensions/dotnet folder and run the IKernelExtension types of its assemblies.
        var added = new ConcurrentQueue<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        composite.RegisterForDisposal(composite.KernelEvents.Subscribe(new Observer(e =>
        {
            if (e is PackageAdded { PackageReference.PackageRoot: { } root })
            {
                added.Enqueue(root);
            }
        })));
        composite.AddMiddleware(async (command, context, next) =>
        {
            await next(command, context);
            while (added.TryDequeue(out var root))
            {
                var folder = new DirectoryInfo(Path.Combine(root, "interactive-extensions", "dotnet"));
                if (!folder.Exists || !seen.Add(folder.FullName))
                {
                    continue;
                }

                foreach (var dll in folder.GetFiles("*.dll"))
                {
                    var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(dll.FullName);
                    foreach (var type in assembly.ExportedTypes.Where(t => !t.IsAbstract && !t.IsInterface && !t.IsGenericTypeDefinition && typeof(IKernelExtension).IsAssignableFrom(t)))
                    {
                        var extension = (IKernelExtension)Activator.CreateInstance(type)!;
                        await extension.OnLoadAsync(composite);
                        context.Publish(new KernelExtensionLoaded(extension, context.Command));
                        loaded.Add($"{type.FullName} from {dll.FullName}");
                    }
                }
            }
        });
        return composite;
    }

    public static async Task<CellOutputs> RunAsync(Kernel kernel, string code)
    {
        var result = await kernel.SendAsync(new SubmitCode(code));
        var outputs = new CellOutputs();
        foreach (var e in result.Events)
        {
            switch (e)
            {
                case DisplayedValueUpdated updated:
                    outputs.Updates++;
                    outputs.Replace(updated.ValueId, Data(updated.FormattedValues));
                    break;
                case DisplayedValueProduced displayed:
                    outputs.Add(displayed.ValueId, new DisplayElement(Data(displayed.FormattedValues)));
                    break;
                case ReturnValueProduced returned:
                    var value = new ReturnValueElement();
                    foreach (var (mime, text) in Data(returned.FormattedValues))
                    {
                        value.Data[mime] = text;
                    }

                    outputs.Add(null, value);
                    break;
                case StandardOutputValueProduced stdout:
                    outputs.Add(null, new TextElement(string.Concat(stdout.FormattedValues.Select(v => v.Value)), "stdout"));
                    break;
                case StandardErrorValueProduced stderr:
                    outputs.Add(null, new TextElement(string.Concat(stderr.FormattedValues.Select(v => v.Value)), "stderr"));
                    break;
                case ErrorProduced produced:
                    outputs.Errors.Add(produced.Message);
                    break;
                case CommandFailed failed:
                    outputs.Error = failed.Message + (failed.Exception is { } x ? Environment.NewLine + x : string.Empty);
                    outputs.Add(null, new ErrorElement("Error", failed.Message));
                    break;
            }
        }

        return outputs;
    }

    private static Dictionary<string, object> Data(IEnumerable<Microsoft.DotNet.Interactive.Formatting.FormattedValue> values) =>
        values.Where(v => !v.SuppressDisplay).GroupBy(v => v.MimeType).ToDictionary(g => g.Key, g => (object)g.Last().Value);

    private sealed class Observer(Action<KernelEvent> onNext) : IObserver<KernelEvent>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(KernelEvent value) => onNext(value);
    }
}

/// <summary>What a cell produced, in the final state a notebook front end shows (updated displays replaced).</summary>
internal sealed class CellOutputs
{
    private readonly List<(string? Id, InteractiveDocumentOutputElement Element)> _items = [];

    public string? Error { get; set; }

    public List<string> Errors { get; } = [];

    public int Updates { get; set; }

    public IEnumerable<InteractiveDocumentOutputElement> Elements => _items.Select(i => i.Element);

    public string Summary => $"{_items.Count} output(s), {Updates} update(s)" + (Errors.Count > 0 ? $", errors: {string.Join("; ", Errors)}" : string.Empty);

    public void Add(string? id, InteractiveDocumentOutputElement element) => _items.Add((id, element));

    public void ReplaceText(string from, string to)
    {
        foreach (var data in Elements.Select(e => e switch { DisplayElement d => d.Data, ReturnValueElement r => r.Data, _ => null }).OfType<IDictionary<string, object>>())
        {
            foreach (var key in data.Keys.ToList())
            {
                if (data[key] is string text)
                {
                    data[key] = text.Replace(from, to, StringComparison.Ordinal);
                }
            }
        }
    }

    public void Replace(string id, Dictionary<string, object> data)
    {
        var index = _items.FindIndex(i => i.Id == id);
        if (index >= 0)
        {
            _items[index] = (id, new DisplayElement(data));
        }
        else
        {
            _items.Add((id, new DisplayElement(data)));
        }
    }

    public IEnumerable<(string Mime, string Text)> Values() =>
        Elements.SelectMany(e => e switch
        {
            DisplayElement d => d.Data,
            ReturnValueElement r => r.Data,
            _ => new Dictionary<string, object>(),
        }).Select(kv => (kv.Key, kv.Value?.ToString() ?? string.Empty));
}

/// <summary>
/// The "convviz_check" cell metadata: { "mime": "text/html", "contains": ["385,090"], "pngs": 1, "minWidth": 64,
/// "minHeight": 64, "maxWidth": 1600, "svgs": 1, "updates": 2 } — every named condition must hold.
/// </summary>
internal static partial class Checks
{
    public static bool Has(IDictionary<string, object>? metadata) => metadata?.ContainsKey("convviz_check") == true;

    public static List<string> Run(IDictionary<string, object>? metadata, CellOutputs outputs)
    {
        var problems = new List<string>();
        if (outputs.Errors.Count > 0)
        {
            problems.Add("errors were produced: " + string.Join("; ", outputs.Errors));
        }

        if (metadata is null || !metadata.TryGetValue("convviz_check", out var raw))
        {
            return problems;
        }

        using var spec = JsonDocument.Parse(JsonSerializer.Serialize(raw));
        var root = spec.RootElement;
        var mime = root.TryGetProperty("mime", out var m) ? m.GetString()! : "text/html";
        var texts = outputs.Values().Where(v => v.Mime == mime).Select(v => v.Text).ToList();
        if (texts.Count == 0)
        {
            problems.Add($"no {mime} output (got: {string.Join(", ", outputs.Values().Select(v => v.Mime).Distinct())})");
            return problems;
        }

        var all = string.Join("\n", texts);
        if (root.TryGetProperty("contains", out var contains))
        {
            foreach (var expected in contains.EnumerateArray().Select(e => e.GetString()!))
            {
                if (!all.Contains(expected, StringComparison.Ordinal))
                {
                    problems.Add($"the {mime} output does not contain \"{expected}\"");
                }
            }
        }

        // Only complete data URIs count: a report embeds images inside JSON too, where "+" is escaped and the match stops short.
        var pngs = PngUri().Matches(all).Select(x => Decode(x.Groups[1].Value)).OfType<byte[]>().Select(Png).ToList();
        if (root.TryGetProperty("pngs", out var minPngs) && pngs.Count < minPngs.GetInt32())
        {
            problems.Add($"{pngs.Count} PNG image(s), expected at least {minPngs.GetInt32()}");
        }

        var minWidth = root.TryGetProperty("minWidth", out var w) ? w.GetInt32() : 1;
        var minHeight = root.TryGetProperty("minHeight", out var h) ? h.GetInt32() : 1;
        var maxWidth = root.TryGetProperty("maxWidth", out var mw) ? mw.GetInt32() : 1600;
        foreach (var (width, height) in pngs)
        {
            if (width < minWidth || height < minHeight || width > maxWidth)
            {
                problems.Add($"a PNG image is {width}×{height}, expected at least {minWidth}×{minHeight} and at most {maxWidth} wide");
            }
        }

        var svgs = SvgUri().Matches(all).Select(x => Decode(x.Groups[1].Value)).OfType<byte[]>().Select(b => Encoding.UTF8.GetString(b)).ToList();
        if (root.TryGetProperty("svgs", out var minSvgs) && svgs.Count(s => s.Contains("<svg", StringComparison.Ordinal) && s.Contains("<polyline", StringComparison.Ordinal)) < minSvgs.GetInt32())
        {
            problems.Add($"{svgs.Count} SVG chart(s) with lines, expected at least {minSvgs.GetInt32()}");
        }

        if (root.TryGetProperty("updates", out var updates) && outputs.Updates < updates.GetInt32())
        {
            problems.Add($"the display was updated {outputs.Updates} time(s), expected at least {updates.GetInt32()}");
        }

        return problems;
    }

    /// <summary>Width and height from the PNG's IHDR chunk; (0, 0) if it is not a PNG.</summary>
    private static (int Width, int Height) Png(byte[] bytes)
    {
        if (bytes.Length < 24 || bytes[1] != 'P' || bytes[2] != 'N' || bytes[3] != 'G')
        {
            return (0, 0);
        }

        static int BigEndian(byte[] b, int at) => (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
        return (BigEndian(bytes, 16), BigEndian(bytes, 20));
    }

    private static byte[]? Decode(string base64)
    {
        var buffer = new byte[base64.Length * 3 / 4];
        return Convert.TryFromBase64String(base64, buffer, out var written) ? buffer[..written] : null;
    }

    [GeneratedRegex("data:image/png;base64,([A-Za-z0-9+/]+={0,2})")]
    private static partial Regex PngUri();

    [GeneratedRegex("data:image/svg\\+xml;base64,([A-Za-z0-9+/]+={0,2})")]
    private static partial Regex SvgUri();
}
