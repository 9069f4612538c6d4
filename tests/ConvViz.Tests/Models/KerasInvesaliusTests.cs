// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Diagnostics;
using ConvViz.Models;
using ConvViz.Models.Keras;

namespace ConvViz.Tests.Models;

/// <summary>
/// A real functional Keras model from outside the project: the brain segmentation network of Debian's
/// <c>invesalius</c> package (Keras 2.2.4, written with the plaidml backend), a 3-D U-Net on (None, 48, 48, 48, 1).
/// Optional: it downloads the package (about 44 MB) with <c>apt-get download</c>, so it runs only with
/// <c>CONVVIZ_INVESALIUS=1</c> (eng/run-with-libtorch.sh passes it into its Debian 13 root). Nothing is kept: the package
/// is unpacked in a temporary folder that is deleted afterwards.
/// </summary>
public sealed class KerasInvesaliusTests
{
    [InvesaliusFact]
    public void InvesaliusBrainModel_GraphAndNamesParse_ImportRefusesConv3D()
    {
        var temp = Directory.CreateTempSubdirectory("convviz-invesalius-").FullName;
        try
        {
            var deb = Download(temp);
            var unpacked = Path.Combine(temp, "unpacked");
            Run("dpkg-deb", temp, "-x", deb, unpacked);
            var path = Assert.Single(Directory.EnumerateFiles(unpacked, "model.h5", SearchOption.AllDirectories), p => p.Contains("invesalius", StringComparison.Ordinal));

            KerasHdf5Content content;
            using (var stream = File.OpenRead(path))
            {
                content = KerasHdf5Reader.Read(stream, path, 1 << 20);
            }

            Assert.StartsWith("2.", content.KerasVersion, StringComparison.Ordinal);
            var config = KerasModelConfig.Parse(content.ModelConfig!, path);
            Assert.True(config.IsFunctional);
            Assert.Equal([48, 48, 48, 1], config.InputShape);
            Assert.Equal("img", config.Layers[0].Name);
            Assert.Equal("InputLayer", config.Layers[0].ClassName);
            Assert.Contains(config.Layers, l => l.ClassName == "Conv3D" && l.Name == "conv3d_1");
            Assert.Contains(config.Layers, l => l.ClassName == "Conv3DTranspose");
            Assert.Contains(config.Layers, l => l.ClassName == "MaxPooling3D");

            // The U-Net's skip connections: every Concatenate takes an upsampled map and an earlier encoder output,
            // and every inbound name is an earlier layer.
            var concatenations = config.Layers.Where(l => l.ClassName == "Concatenate").ToList();
            Assert.NotEmpty(concatenations);
            Assert.All(concatenations, c => Assert.Equal(2, c.Inbound.Count));
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var layer in config.Layers)
            {
                Assert.All(layer.Inbound, name => Assert.Contains(name, seen));
                seen.Add(layer.Name);
            }

            // The weights parse too: one group per layer, in the config's order; Conv3D kernels are 5-D.
            Assert.Equal(config.Layers.Select(l => l.Name), content.Layers.Select(l => l.LayerName));
            var conv = content.Layers.Single(l => l.LayerName == "conv3d_1");
            Assert.Equal(5, conv.Weights[0].Shape.Length);

            var ex = Assert.Throws<NotSupportedException>(() => Model.Load(path));
            Assert.Contains("'Conv3D'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("conv3d_1", ex.Message, StringComparison.Ordinal);
            Assert.Contains("Supported Keras layers", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static string Download(string directory)
    {
        Run("apt-get", directory, "download", "invesalius");
        return Assert.Single(Directory.EnumerateFiles(directory, "invesalius_*.deb"));
    }

    private static void Run(string program, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), $"{program} did not finish in 5 minutes");
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}{output.Result}");
    }
}

/// <summary>A fact that runs only when <c>CONVVIZ_INVESALIUS=1</c> (it downloads a Debian package).</summary>
internal sealed class InvesaliusFactAttribute : FactAttribute
{
    public InvesaliusFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CONVVIZ_INVESALIUS") != "1")
        {
            Skip = "Optional: set CONVVIZ_INVESALIUS=1 to download Debian's invesalius package (about 44 MB) and import its Keras model.";
        }
    }
}
