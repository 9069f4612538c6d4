// Copyright (c) ConvViz contributors. Licensed under the MIT License.

namespace ConvViz.Models;

/// <summary>A validated layer definition: shapes are already inferred, the module is created at Build.</summary>
internal sealed record LayerSpec(string Name, LayerKind Kind, LayerShape InputShape, LayerShape OutputShape, long ParameterCount, Func<LayerModule> CreateModule);
