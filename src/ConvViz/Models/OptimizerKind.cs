// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>Optimizers with Keras' update rules and default hyper-parameters.</summary>
public enum OptimizerKind
{
    /// <summary>Keras Adamax: lr 0.001, β1 0.9, β2 0.999, ε 1e-7 added outside the max.</summary>
    Adamax,

    /// <summary>Keras Adam: lr 0.001, β1 0.9, β2 0.999, ε 1e-7.</summary>
    Adam,

    /// <summary>Keras SGD: lr 0.01, optional momentum and Nesterov.</summary>
    Sgd,

    /// <summary>Keras RMSprop: lr 0.001, ρ 0.9, ε 1e-7.</summary>
    RmsProp,
}
