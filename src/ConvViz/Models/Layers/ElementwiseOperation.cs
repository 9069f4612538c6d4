// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models.Layers;

/// <summary>The arithmetic an <see cref="ElementwiseConstantOptions"/> layer applies between its input x and its constant c.</summary>
public enum ElementwiseOperation
{
    /// <summary>x + c.</summary>
    Add,

    /// <summary>x − c.</summary>
    Subtract,

    /// <summary>x · c.</summary>
    Multiply,

    /// <summary>x / c.</summary>
    Divide,

    /// <summary>c − x.</summary>
    SubtractFrom,

    /// <summary>c / x.</summary>
    DivideInto,
}
