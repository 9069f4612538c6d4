// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>
/// What one evaluation of a model's graph computes: the layers that are ancestors of the requested outputs (stopping
/// at layers whose value is given), and for each computed value how many later layers still read it, so that the
/// executor frees it after its last reader. Plans depend only on the request, so the full forward pass's plan is kept.
/// </summary>
internal sealed class GraphPlan
{
    private GraphPlan(bool[] computed, int[] readers, bool readsInput, int last)
    {
        Computed = computed;
        Readers = readers;
        ReadsInput = readsInput;
        Last = last;
    }

    /// <summary>Gets, per layer, whether its module runs (it is needed and its value is not given).</summary>
    public bool[] Computed { get; }

    /// <summary>Gets, per layer, how many computed layers read its output (a merge that reads it twice counts twice).</summary>
    public int[] Readers { get; }

    /// <summary>Gets a value indicating whether a computed layer reads the model's input.</summary>
    public bool ReadsInput { get; }

    /// <summary>Gets the last layer whose value is needed (the largest requested output).</summary>
    public int Last { get; }

    /// <summary>Plans the evaluation of <paramref name="outputs"/> over layers whose inputs are <paramref name="inputs"/>.</summary>
    /// <param name="inputs">Each layer's input indices (<see cref="LayerGraphBuilder.ModelInput"/> for the image); each smaller than the layer's.</param>
    /// <param name="outputs">The layers whose values are requested.</param>
    /// <param name="given">Layers whose values are supplied instead of computed (their ancestors run only if something else needs them).</param>
    public static GraphPlan Create(IReadOnlyList<IReadOnlyList<int>> inputs, IReadOnlyList<int> outputs, IReadOnlyCollection<int> given)
    {
        var n = inputs.Count;
        var needed = new bool[n];
        foreach (var o in outputs)
        {
            needed[o] = true;
        }

        var last = outputs.Max();
        var computed = new bool[n];
        var readers = new int[n];
        var readsInput = false;
        for (var i = last; i >= 0; i--)
        {
            if (!needed[i] || given.Contains(i))
            {
                continue;
            }

            computed[i] = true;
            foreach (var input in inputs[i])
            {
                if (input == LayerGraphBuilder.ModelInput)
                {
                    readsInput = true;
                }
                else
                {
                    needed[input] = true;
                    readers[input]++;
                }
            }
        }

        return new GraphPlan(computed, readers, readsInput, last);
    }
}
