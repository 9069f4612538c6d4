// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;

namespace ConvViz.Tests.Reliability;

/// <summary>
/// A background thread that forces garbage collections and runs finalizers without pause, so that any TorchSharp object
/// that is collectable while libtorch still reads it (a temporary <c>Scalar</c>, a tensor outside every dispose scope)
/// is freed under the native call, and the result goes wrong or the call throws.
/// </summary>
/// <remarks>
/// <para>Used two ways: by the determinism tests around their repeated calls, and for the whole test run when the
/// environment variable <c>CONVVIZ_GC_STRESS=1</c> is set (the stress mode CI runs the numeric tests in; see
/// <see cref="StartForProcessIfRequested"/>).</para>
/// </remarks>
internal sealed class GcPressure : IDisposable
{
    /// <summary>The environment variable that runs every test of the process under GC pressure.</summary>
    public const string StressVariable = "CONVVIZ_GC_STRESS";

    private readonly Thread _thread;
    private int _stop;
    private long _collections;

    private GcPressure()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "ConvViz GC pressure" };
        _thread.Start();
    }

    /// <summary>Gets the process-wide pressure thread of the stress mode, or <see langword="null"/> when it is off.</summary>
    public static GcPressure? Process { get; private set; }

    /// <summary>Gets how many forced collections have run so far.</summary>
    public long Collections => Interlocked.Read(ref _collections);

    /// <summary>Starts forcing collections until disposed.</summary>
    /// <returns>The running pressure thread; dispose it to stop and join it.</returns>
    public static GcPressure Start() => new();

    /// <summary>Starts the process-wide pressure thread when <c>CONVVIZ_GC_STRESS=1</c> is set, before any test runs.</summary>
    [ModuleInitializer]
    internal static void StartForProcessIfRequested()
    {
        if (Environment.GetEnvironmentVariable(StressVariable) == "1")
        {
            Process = Start();
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> more collections have run, so a short test is covered too.</summary>
    /// <param name="count">The number of collections to wait for.</param>
    public void WaitForCollections(int count)
    {
        var target = Collections + count;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Collections < target)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The GC pressure thread ran fewer than {count} collections in 30 s.");
            }

            Thread.Yield();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Volatile.Write(ref _stop, 1);
        _thread.Join();
    }

    private void Run()
    {
        while (Volatile.Read(ref _stop) == 0)
        {
            // Gen-0 collections are cheap, so thousands run per second; temporaries are young and die in gen 0.
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers();
            Interlocked.Increment(ref _collections);
        }
    }
}
