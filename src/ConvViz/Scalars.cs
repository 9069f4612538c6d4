// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using TorchSharp;

namespace ConvViz;

/// <summary>
/// Long-lived TorchSharp scalars for the constants of the per-batch tensor math, so that no native call reads a
/// <see cref="Scalar"/> that the garbage collector may already have finalized.
/// </summary>
/// <remarks>
/// <para>
/// In TorchSharp 0.107 a <see cref="Scalar"/> is a class holding a bare pointer to a native <c>c10::Scalar</c>, with a
/// finalizer that deletes it; dispose scopes do not track scalars. Tensor methods read the pointer and call libtorch
/// without <c>GC.KeepAlive</c>, so a scalar that nothing else references becomes collectable as soon as its pointer is
/// read, and a collection triggered by another thread can free it while libtorch still reads it. libtorch then throws
/// "Expected false to be true" from <c>c10::Scalar::toDouble</c> ("Unknown scalar type" elsewhere) or silently uses a
/// wrong value. Such temporaries come from implicit conversions (<c>x.mul(2.0)</c>, <c>x.clamp(0, 255)</c>,
/// <c>x.ge(0)</c>), from TorchSharp's own hidden defaults (<c>x.add(y)</c> passes <c>alpha = 1</c>,
/// <c>x.add(0.5)</c> too, <c>arange(n)</c> passes <c>start = 0</c> and <c>step = 1</c>) and from the operators
/// (<c>x * 0.5</c>, <c>1 - x</c>, and <c>x + y</c>, which is <c>x.add(y)</c>).
/// </para>
/// <para>
/// Safe patterns: a scalar in a <c>static readonly</c> field (these, reachable for the life of the process; libtorch
/// only reads a scalar, so one instance can serve every thread), or a <c>using var s = value.ToScalar();</c> local for
/// a value known only at run time (its <c>Dispose</c> at the end of the scope keeps it reachable until after the
/// call; <see cref="Create(double)"/>). Pass <see cref="One"/> as the <c>alpha</c> of <c>add</c>, <c>add_</c> and as the step of <c>arange</c>. The
/// tensor operators, <c>sub(Tensor)</c>, <c>mul(Tensor)</c>, <c>div(Tensor)</c> and <c>where</c> take no scalar.
/// Integer constants stay integer scalars, so the results keep the dtypes of the implicit-conversion code they replace.
/// </para>
/// </remarks>
internal static class Scalars
{
    /// <summary>The integer 0 (a lower clamp bound, a comparison with zero, the start of <c>arange</c>).</summary>
    internal static readonly Scalar Zero = Permanent(0);

    /// <summary>The integer 1 (the <c>alpha</c> of <c>add</c>, the step of <c>arange</c>).</summary>
    internal static readonly Scalar One = Permanent(1);

    /// <summary>The integer 2 (a square, <c>pow(Scalars.Two)</c>, in place of <c>square()</c>, which passes a temporary 2).</summary>
    internal static readonly Scalar Two = Permanent(2);

    /// <summary>The integer 255 (the top of an 8-bit pixel range).</summary>
    internal static readonly Scalar ByteMax = Permanent(255);

    /// <summary>The double 0.5 (the half-pixel offset).</summary>
    internal static readonly Scalar Half = Permanent(0.5);

    /// <summary>
    /// Creates a scalar for a value known only at run time: <c>using var s = Scalars.Create(v);</c>, so that it stays
    /// referenced until the native calls that read it have returned.
    /// </summary>
    /// <param name="value">The value (an int64 scalar, as TorchSharp's implicit conversion of a <see cref="long"/>).</param>
    /// <returns>A new scalar; the caller owns it and disposes it after its last use.</returns>
    internal static Scalar Create(long value) => value.ToScalar();

    /// <summary>
    /// Creates a scalar for a value known only at run time: <c>using var s = Scalars.Create(v);</c>, so that it stays
    /// referenced until the native calls that read it have returned.
    /// </summary>
    /// <param name="value">The value (an int32 scalar, as TorchSharp's implicit conversion of an <see cref="int"/>).</param>
    /// <returns>A new scalar; the caller owns it and disposes it after its last use.</returns>
    internal static Scalar Create(int value) => value.ToScalar();

    /// <summary>
    /// Creates a scalar for a value known only at run time: <c>using var s = Scalars.Create(v);</c>, so that it stays
    /// referenced until the native calls that read it have returned.
    /// </summary>
    /// <param name="value">The value (a float64 scalar, as TorchSharp's implicit conversion of a <see cref="double"/>).</param>
    /// <returns>A new scalar; the caller owns it and disposes it after its last use.</returns>
    internal static Scalar Create(double value) => value.ToScalar();

    /// <summary>Creates a scalar that is never disposed; only for <c>static readonly</c> fields.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The scalar.</returns>
    internal static Scalar Permanent(int value)
    {
        NativeBackend.EnsureLoaded();
        return value.ToScalar();
    }

    /// <summary>Creates a scalar that is never disposed; only for <c>static readonly</c> fields.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The scalar.</returns>
    internal static Scalar Permanent(double value)
    {
        NativeBackend.EnsureLoaded();
        return value.ToScalar();
    }
}
