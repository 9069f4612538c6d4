// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using ConvViz.Models.Layers;
using static TorchSharp.torch;

namespace ConvViz.Models;

/// <summary>
/// The batch boundary: the one place where a batch enters the network (device, float32, memory layout) and where
/// outputs leave it (float32), and the one graph executor that runs the layers. Training, evaluation, prediction and
/// every inspection tool go through it.
/// </summary>
public sealed partial class Model
{
    private const int NoAddend = int.MinValue;
    private int[]? _soleReaders;

    /// <summary>
    /// Gets or sets a value indicating whether the graph executor folds batch normalizations into convolutions where it
    /// may (see <see cref="Fusions"/>). On by default; tests and benchmarks switch it off to compare.
    /// </summary>
    internal bool FoldsBatchNorm { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether, where the executor folds a batch normalization, it also fuses a residual
    /// addition and a ReLU that follow, and runs the convolution with a prepacked oneDNN kernel where it can (see
    /// <see cref="Fusions"/> and <see cref="Conv2DModule.ForwardFused"/>); switching it off also switches off
    /// <see cref="PrepacksStandaloneConvolutions"/>. On by default; tests and benchmarks switch it off to compare with the
    /// fold alone.
    /// </summary>
    internal bool FusesConvolutions { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether, where the executor may fold (see <see cref="Fusions"/>), a convolution
    /// that runs by itself uses its own kernel prepacked for oneDNN and its ReLU fused (see
    /// <see cref="Conv2DModule.InvokeStandalone"/>). On by default; only with <see cref="FusesConvolutions"/>; tests and
    /// benchmarks switch it off to compare with eager convolutions.
    /// </summary>
    internal bool PrepacksStandaloneConvolutions { get; set; } = true;

    /// <summary>What a layer does in a fused evaluation (see <see cref="Fusions"/>).</summary>
    private enum FusionRole
    {
        /// <summary>The layer runs by itself.</summary>
        None,

        /// <summary>A convolution that computes its batch normalization and whatever follows it in the chain.</summary>
        Head,

        /// <summary>A layer whose value the head of its chain already computed: it passes on its argument <see cref="LayerFusion.Argument"/>.</summary>
        PassOn,

        /// <summary>A convolution that runs by itself with its own kernel prepacked for oneDNN (see <see cref="Conv2DModule.InvokeStandalone"/>).</summary>
        Standalone,
    }

    /// <summary>
    /// One layer's part in a fused evaluation: for a <see cref="FusionRole.Head"/>, the batch normalization it folds, the
    /// layer whose value a fused addition adds (or <see cref="NoAddend"/>) and whether a ReLU follows; for a
    /// <see cref="FusionRole.PassOn"/>, which argument carries the chain's value.
    /// </summary>
    private readonly record struct LayerFusion(FusionRole Role, int BatchNorm = -1, int Addend = NoAddend, bool Relu = false, int Argument = 0);

    /// <summary>
    /// Gets or sets the precision the layers compute in, for prediction and inspection; <see cref="Compile(CompileOptions)"/>
    /// sets it from <see cref="CompileOptions.Precision"/> for training. With <see cref="Models.Precision.BFloat16"/> the
    /// parameters stay float32 (saved models stay float32 files) and every returned tensor is float32.
    /// </summary>
    /// <value>The default value is <see cref="Models.Precision.Float32"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="Models.Precision"/> member.</exception>
    /// <exception cref="NotSupportedException">bfloat16 was requested on a CPU without bfloat16 units.</exception>
    public Precision Precision
    {
        get;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            PrecisionSupport.Validate(value, Device, "Model.Precision");
            field = value;
            var computeType = value == Precision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
            foreach (var module in _modules)
            {
                module.ComputeType = computeType;
            }
        }
    }

    /// <summary>
    /// Gets or sets the memory layout of feature maps and convolution kernels inside the network. It changes speed,
    /// not results (they agree to float rounding): every tensor keeps its [N, C, H, W] indexing.
    /// </summary>
    /// <value>The default value is <see cref="MemoryLayout.ChannelsLast"/>, which libtorch's CPU convolutions run fastest.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="MemoryLayout"/> member.</exception>
    public MemoryLayout Layout
    {
        get;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (value is not (MemoryLayout.ChannelsLast or MemoryLayout.ChannelsFirst))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Model.Layout must be MemoryLayout.ChannelsLast or MemoryLayout.ChannelsFirst.");
            }

            field = value;
            ApplyLayout();
        }
    }

    /// <summary>Lays out every layer's parameters in <see cref="Layout"/>, in place (the parameter objects stay the same).</summary>
    private void ApplyLayout()
    {
        foreach (var module in _modules)
        {
            module.ApplyLayout(Layout == MemoryLayout.ChannelsLast);
        }
    }

    /// <summary>
    /// Puts a batch into the network's form: on the model's device, float32, and in <see cref="Layout"/>. Differentiable,
    /// so input gradients (saliency, activation maximisation) reach the caller's tensor.
    /// </summary>
    /// <param name="images">A batch [N, C, H, W]; not disposed.</param>
    /// <returns>A tensor the caller owns (an alias when nothing had to change).</returns>
    internal Tensor ToNetworkInput(Tensor images)
    {
        var x = images.device == TorchDevice && images.dtype == ScalarType.Float32 ? images.alias() : images.to(ScalarType.Float32, TorchDevice);
        var converted = ToLayout(x, Layout);
        if (!ReferenceEquals(converted, x))
        {
            x.Dispose();
        }

        return converted;
    }

    /// <summary>Moves labels (or any non-image tensor) to the model's device.</summary>
    /// <param name="tensor">The tensor; not disposed.</param>
    /// <returns>A tensor the caller owns (an alias when it is already there).</returns>
    internal Tensor ToModelDevice(Tensor tensor) => tensor.device == TorchDevice ? tensor.alias() : tensor.to(TorchDevice);

    /// <summary>
    /// The graph executor, through which every forward pass goes (Fit, Evaluate, Predict, <see cref="Forward"/>, the
    /// intermediate outputs, every attribution and the report). It runs, in topological order and in the current mode,
    /// only the layers that <paramref name="outputs"/> need, and returns their float32 values in the order listed. The
    /// input enters through the batch boundary (<see cref="ToNetworkInput"/>); each intermediate value is disposed right
    /// after its last reader has run (autograd keeps what it needs). <paramref name="run"/> can give layers' values
    /// instead of computing them, replace one layer's value inside the evaluation (what attribution at a layer needs:
    /// the rest of the graph, skip paths included, runs from the replacement), and stop the last layer before its
    /// activation.
    /// </summary>
    /// <param name="input">A batch [N, C, H, W] matching <see cref="InputShape"/>; not disposed. It may be
    /// <see langword="null"/> when the given values make the input unnecessary.</param>
    /// <param name="outputs">The layers whose values to return.</param>
    /// <param name="run">Given values, a replacement and the activation switch; none if <see langword="null"/>.</param>
    /// <returns>The values; the caller owns them. Four-dimensional values are [N, C, H, W] in meaning, with strides of <see cref="Layout"/>.</returns>
    internal Tensor[] Run(Tensor? input, IReadOnlyList<int> outputs, GraphRun? run = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0 || outputs.Min() < 0 || outputs.Max() >= _modules.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(outputs), $"Layer outputs must lie in 0..{_modules.Length - 1}.");
        }

        run ??= GraphRun.Plain;
        var given = run.Given;
        var plan = given.Count == 0 && outputs is [var only] && only == _modules.Length - 1 ? _fullPlan : GraphPlan.Create(_inputs, outputs, given.Keys.ToArray());
        if (plan.ReadsInput)
        {
            ArgumentNullException.ThrowIfNull(input);
            ValidateInput(input);
        }

        var fusions = Fusions(plan, outputs, run);
        var values = new Tensor?[plan.Last + 1];
        var readers = (int[])plan.Readers.Clone();
        var results = new Tensor?[outputs.Count];
        var x = plan.ReadsInput ? ToNetworkInput(input!) : null;
        IDisposable? gradMode = run.ReplaceAt >= 0 && run.GradientsFromReplacement ? no_grad() : null;
        try
        {
            for (var i = 0; i <= plan.Last; i++)
            {
                var isOutput = outputs.Contains(i);
                Tensor value;
                if (!plan.Computed[i])
                {
                    if ((readers[i] == 0 && !isOutput) || !given.TryGetValue(i, out var supplied))
                    {
                        continue;
                    }

                    value = supplied.alias();
                }
                else
                {
                    value = Evaluate(i, x, values, readers, run.OutputBeforeActivation && i == plan.Last, fusions?[i] ?? default);
                    if (i == run.ReplaceAt)
                    {
                        var replaced = run.Replace!(value);
                        value.Dispose();
                        value = replaced;
                        if (gradMode is not null)
                        {
                            gradMode.Dispose();
                            gradMode = enable_grad();
                        }
                    }
                }

                if (isOutput)
                {
                    for (var j = 0; j < outputs.Count; j++)
                    {
                        if (outputs[j] == i)
                        {
                            results[j] = value.dtype == ScalarType.Float32 ? value.alias() : value.to_type(ScalarType.Float32);
                        }
                    }
                }

                if (readers[i] == 0)
                {
                    value.Dispose();
                }
                else
                {
                    values[i] = value;
                }
            }

            return results.Select(r => r!).ToArray();
        }
        catch
        {
            foreach (var r in results)
            {
                r?.Dispose();
            }

            throw;
        }
        finally
        {
            gradMode?.Dispose();
            foreach (var v in values)
            {
                v?.Dispose();
            }

            x?.Dispose();
        }
    }

    /// <summary>
    /// Runs layer <paramref name="index"/> on its inputs' values and frees each input after its last reader.
    /// <paramref name="fusion"/> says whether the layer runs by itself, computes a fused chain (a convolution), or passes
    /// on the value its chain's convolution already computed.
    /// </summary>
    private Tensor Evaluate(int index, Tensor? input, Tensor?[] values, int[] readers, bool beforeActivation, LayerFusion fusion)
    {
        var sources = _inputs[index];
        var arguments = new Tensor[sources.Count];
        for (var k = 0; k < sources.Count; k++)
        {
            arguments[k] = sources[k] == LayerGraphBuilder.ModelInput ? input! : values[sources[k]]!;
        }

        var module = _modules[index];
        var output = fusion.Role switch
        {
            FusionRole.PassOn => arguments[fusion.Argument].alias(),
            FusionRole.Head when FusesConvolutions => ((Conv2DModule)module).ForwardFused(
                arguments[0],
                (BatchNormModule)_modules[fusion.BatchNorm],
                fusion.Addend == NoAddend ? null : fusion.Addend == LayerGraphBuilder.ModelInput ? input! : values[fusion.Addend]!,
                fusion.Relu),
            FusionRole.Head => ((Conv2DModule)module).ForwardFoldingBatchNorm(arguments[0], (BatchNormModule)_modules[fusion.BatchNorm]),
            FusionRole.Standalone => ((Conv2DModule)module).InvokeStandalone(arguments[0], beforeActivation),
            _ => beforeActivation && arguments.Length == 1 ? module.ForwardBeforeActivation(arguments[0]) : module.Invoke(arguments),
        };
        foreach (var source in sources)
        {
            if (source != LayerGraphBuilder.ModelInput && --readers[source] == 0)
            {
                values[source]!.Dispose();
                values[source] = null;
            }
        }

        return output;
    }

    /// <summary>
    /// Chooses the inference-time fusions of this evaluation (what ONNX Runtime and PyTorch's CPU compiler do too). The
    /// fold: a convolution without activation whose only reader is a batch normalization that uses its moving averages
    /// computes both, when autograd is off (so nothing differentiates through the folded weights, and gradients with
    /// respect to the input are never affected), no layer's value is replaced, and the convolution's own value is neither
    /// requested nor given. With <see cref="FusesConvolutions"/>, the chain then grows by an addition of two inputs that is
    /// the only reader of its value, when the addition's other input is computed before the convolution (a residual
    /// connection), and by a ReLU that is the only reader of its value, as long as each value it passes is neither
    /// requested nor given and the last layer is not asked to stop before its activation. The result agrees with the
    /// separate layers to float rounding; a requested value never ends inside a chain. Under the same conditions (autograd
    /// off, no replacement), with <see cref="FusesConvolutions"/> and <see cref="PrepacksStandaloneConvolutions"/>, every
    /// other Conv2D, requested or not, runs by itself with its own kernel prepacked for oneDNN and its ReLU fused
    /// (<see cref="Conv2DModule.InvokeStandalone"/>: the oneDNN convolution that libtorch's eager <c>conv2d</c> runs, with
    /// the same values, and in float32 only where eager <c>conv2d</c> would use oneDNN), so an every-value pass does not
    /// reorder each kernel on every call either.
    /// </summary>
    /// <returns>Per layer, its part; <see langword="null"/> when nothing folds or runs prepacked.</returns>
    private LayerFusion[]? Fusions(GraphPlan plan, IReadOnlyList<int> outputs, GraphRun run)
    {
        if (!FoldsBatchNorm || is_grad_enabled() || run.ReplaceAt >= 0)
        {
            return null;
        }

        var fusions = FusesConvolutions && PrepacksStandaloneConvolutions ? StandaloneConvolutions(plan) : null;

        var soleReaders = _soleReaders ??= SoleReaders(_inputs);
        for (var i = 0; i < plan.Last; i++)
        {
            var j = soleReaders[i];
            if (j < 0 || !plan.Computed[i] || !plan.Computed[j] || outputs.Contains(i) || run.Given.ContainsKey(i) ||
                _modules[i] is not Conv2DModule { CanFoldBatchNorm: true } || _modules[j] is not BatchNormModule { UsesMovingAverages: true } ||
                _inputs[j] is not [var only] || only != i)
            {
                continue;
            }

            fusions ??= new LayerFusion[plan.Last + 1];
            fusions[j] = new LayerFusion(FusionRole.PassOn);
            var (addend, relu, end) = (NoAddend, false, j);
            if (FusesConvolutions)
            {
                // A residual addition whose other input already exists when the convolution runs.
                var k = soleReaders[end];
                if (CanExtendChain(plan, outputs, run, end, k) && _modules[k] is ElementwiseMergeModule { IsAddition: true } &&
                    _inputs[k] is [var first, var second] && (first == end) != (second == end))
                {
                    var other = first == end ? second : first;
                    if (other == LayerGraphBuilder.ModelInput || other < i)
                    {
                        fusions[k] = new LayerFusion(FusionRole.PassOn, Argument: first == end ? 0 : 1);
                        (addend, end) = (other, k);
                    }
                }

                var r = soleReaders[end];
                if (CanExtendChain(plan, outputs, run, end, r) && IsPlainReLU(_modules[r]) && _inputs[r] is [var single] && single == end)
                {
                    fusions[r] = new LayerFusion(FusionRole.PassOn);
                    (relu, end) = (true, r);
                }
            }

            fusions[i] = new LayerFusion(FusionRole.Head, j, addend, relu);
        }

        return fusions;
    }

    /// <summary>
    /// Marks every Conv2D of <paramref name="plan"/> <see cref="FusionRole.Standalone"/>; <see cref="Fusions"/> then marks
    /// the heads of its chains over them. None when libtorch's version counters cannot be read (without them a kept
    /// prepacked kernel could not notice a changed one).
    /// </summary>
    /// <returns>The roles, or <see langword="null"/> when there is no such convolution.</returns>
    private LayerFusion[]? StandaloneConvolutions(GraphPlan plan)
    {
        if (!TensorVersion.IsAvailable)
        {
            return null;
        }

        LayerFusion[]? fusions = null;
        for (var i = 0; i <= plan.Last; i++)
        {
            if (plan.Computed[i] && _modules[i] is Conv2DModule && _inputs[i].Count == 1)
            {
                fusions ??= new LayerFusion[plan.Last + 1];
                fusions[i] = new LayerFusion(FusionRole.Standalone);
            }
        }

        return fusions;
    }

    /// <summary>Whether layer <paramref name="next"/> may join a chain that ends at <paramref name="end"/>: it runs in this plan, and neither value is requested or given (nor is <paramref name="next"/> the last layer stopped before its activation).</summary>
    private static bool CanExtendChain(GraphPlan plan, IReadOnlyList<int> outputs, GraphRun run, int end, int next) =>
        next > end && next <= plan.Last && plan.Computed[next] && !outputs.Contains(end) && !run.Given.ContainsKey(end) && !run.Given.ContainsKey(next) &&
        !(run.OutputBeforeActivation && next == plan.Last);

    /// <summary>Whether a module computes max(x, 0) and nothing else.</summary>
    private static bool IsPlainReLU(LayerModule module) =>
        module is ActivationModule { Activation: Activation.ReLU } or ReLUModule { IsPlain: true };

    /// <summary>Per layer, the one layer that reads its output, or −1 when none or several do (or one reads it twice).</summary>
    private static int[] SoleReaders(IReadOnlyList<int>[] inputs)
    {
        var sole = Enumerable.Repeat(-1, inputs.Length).ToArray();
        var count = new int[inputs.Length];
        for (var j = 0; j < inputs.Length; j++)
        {
            foreach (var i in inputs[j])
            {
                if (i != LayerGraphBuilder.ModelInput)
                {
                    count[i]++;
                    sole[i] = j;
                }
            }
        }

        for (var i = 0; i < inputs.Length; i++)
        {
            if (count[i] != 1)
            {
                sole[i] = -1;
            }
        }

        return sole;
    }

    /// <summary>Runs the layers up to <paramref name="lastLayer"/> and returns its float32 output (see <see cref="Run"/>).</summary>
    /// <param name="input">A batch [N, C, H, W] matching <see cref="InputShape"/>; not disposed.</param>
    /// <param name="lastLayer">The 0-based index of the layer.</param>
    /// <returns>The layer's output; the caller owns it.</returns>
    internal Tensor ForwardTo(Tensor input, int lastLayer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastLayer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(lastLayer, _modules.Length);
        return Run(input, [lastLayer])[0];
    }

    /// <summary>Returns <paramref name="x"/> with the strides of <paramref name="layout"/> (4-D tensors only; others unchanged).</summary>
    /// <param name="x">The tensor; not disposed.</param>
    /// <param name="layout">The layout.</param>
    /// <returns><paramref name="x"/> itself when it already has that layout, otherwise a new tensor the caller owns.</returns>
    internal static Tensor ToLayout(Tensor x, MemoryLayout layout) => ConvViz.Models.Layers.TensorLayout.Convert(x, layout == MemoryLayout.ChannelsLast);

    /// <summary>Gets a value indicating whether a 4-D tensor has channels-last (NHWC) strides.</summary>
    internal static bool IsChannelsLast(Tensor x) => ConvViz.Models.Layers.TensorLayout.IsChannelsLast(x);
}

/// <summary>
/// How one evaluation of a model's graph departs from a plain forward pass (see <see cref="Model.Run"/>).
/// </summary>
internal sealed record GraphRun
{
    /// <summary>A plain forward pass.</summary>
    public static readonly GraphRun Plain = new();

    /// <summary>Gets a value indicating whether the last layer evaluated stops before its activation (the class scores before softmax or sigmoid).</summary>
    public bool OutputBeforeActivation { get; init; }

    /// <summary>Gets values supplied for layers instead of computing them (not disposed); their ancestors run only if another layer needs them.</summary>
    public IReadOnlyDictionary<int, Tensor> Given { get; init; } = new Dictionary<int, Tensor>();

    /// <summary>Gets the layer whose computed value <see cref="Replace"/> replaces, or −1 for none.</summary>
    public int ReplaceAt { get; init; } = -1;

    /// <summary>Gets the replacement: called once with the layer's value (not to be disposed), returns the value the rest of the graph uses (the executor owns it).</summary>
    public Func<Tensor, Tensor>? Replace { get; init; }

    /// <summary>
    /// Gets a value indicating whether the layers before the replacement run without autograd and the ones after it
    /// with: for gradients with respect to the replaced value only, without the cost of recording the rest.
    /// </summary>
    public bool GradientsFromReplacement { get; init; }
}
