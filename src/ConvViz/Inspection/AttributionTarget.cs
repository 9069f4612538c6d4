// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Inspection;

/// <summary>
/// Which quantity of the output layer an attribution method (<see cref="GradCam"/>, <see cref="GradCamPlusPlus"/>,
/// <see cref="Saliency"/>, <see cref="SmoothGrad"/>, <see cref="IntegratedGradients"/>, class maximisation in
/// <see cref="ActivationMaximization"/>) differentiates.
/// </summary>
/// <remarks>
/// For a model with a single output unit (a sigmoid binary classifier, as Keras' <c>predict_classes</c> reads it),
/// class 1 is the unit itself and class 0 its opposite: the score of class 0 is the negated logit, its probability
/// 1 − p. pytorch-grad-cam (<c>BinaryClassifierOutputTarget</c>) and tf-keras-vis (<c>BinaryScore</c>) negate the
/// output for the negative class in the same way.
/// </remarks>
public enum AttributionTarget
{
    /// <summary>
    /// The class score before the output layer's activation: the logit before softmax or sigmoid (the output itself
    /// for a linear output). It does not saturate, so the gradients stay informative when the network is confident;
    /// pytorch-grad-cam and tf-keras-vis (<c>ReplaceToLinear</c>) differentiate the same score.
    /// </summary>
    Score = 0,

    /// <summary>
    /// The model's output as <c>Predict</c> returns it (the softmax or sigmoid probability). Its gradient is scaled by
    /// p·(1 − p), so it vanishes when the prediction is confident and the maps become zero or numerical noise.
    /// </summary>
    Probability,
}
