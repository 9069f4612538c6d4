// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ConvViz.Benchmarks.BenchmarkConfig).Assembly).Run(args, new ConvViz.Benchmarks.BenchmarkConfig());
