// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConvViz.Analyzers;

/// <summary>
/// Fails the build on the two ways ConvViz code can hand libtorch a TorchSharp <c>Scalar</c> that the garbage collector
/// may finalize (and free) while the native call still reads it.
/// </summary>
/// <remarks>
/// <para>CVZ0001: an expression creates a scalar (an implicit or explicit conversion to <c>Scalar</c>, <c>ToScalar()</c>,
/// <c>Scalars.Create</c>) anywhere but as the initializer of a <c>using</c> local or of a <c>static readonly</c> field.
/// Only those two keep the scalar reachable until after the native calls that read it.</para>
/// <para>CVZ0002: a call to a TorchSharp member that creates such a scalar inside TorchSharp (a hidden default such as the
/// <c>alpha = 1</c> of <c>add(Tensor)</c>, or an operator like <c>x + y</c>). The members are listed in the embedded
/// <c>HiddenScalarMembers.txt</c>, generated from TorchSharp's IL by the test that checks it.</para>
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TemporaryScalarAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The diagnostic for a scalar created in a place that does not keep it alive.</summary>
    public static readonly DiagnosticDescriptor TemporaryScalar = new(
        "CVZ0001",
        "Collectable temporary TorchSharp Scalar",
        "'{0}' creates a TorchSharp Scalar that nothing keeps alive: the garbage collector can free it while libtorch reads it. Use a static readonly field of ConvViz.Scalars, or 'using var s = Scalars.Create(value);' before the call.",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A TorchSharp 0.107 Scalar holds a bare native pointer and is freed by its finalizer; TorchSharp does not keep it alive during the native call.");

    /// <summary>The diagnostic for a TorchSharp member that creates a scalar of its own.</summary>
    public static readonly DiagnosticDescriptor HiddenScalar = new(
        "CVZ0002",
        "TorchSharp member with a hidden temporary Scalar",
        "'{0}' creates a TorchSharp Scalar inside TorchSharp (a hidden default or an operator) that can be freed while libtorch reads it. Call the overload that takes every Scalar and pass one from ConvViz.Scalars or a 'using' local (for example add(y, Scalars.One) for x + y).",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The member list is generated from TorchSharp's IL (tests/ConvViz.Tests/Architecture/TemporaryScalarGuardTests.cs).");

    private static readonly Lazy<ImmutableHashSet<string>> Hidden = new(LoadHiddenMembers);

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(TemporaryScalar, HiddenScalar);

    /// <summary>Gets the documentation IDs of the TorchSharp members that create hidden scalars.</summary>
    public static ImmutableHashSet<string> HiddenMembers => Hidden.Value;

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var scalar = start.Compilation.GetTypeByMetadataName("TorchSharp.Scalar");
            if (scalar is null)
            {
                return;
            }

            start.RegisterOperationAction(c => AnalyzeConversion(c, scalar), OperationKind.Conversion);
            start.RegisterOperationAction(c => AnalyzeMember(c, scalar, ((IInvocationOperation)c.Operation).TargetMethod), OperationKind.Invocation);
            start.RegisterOperationAction(c => AnalyzeMember(c, scalar, ((IObjectCreationOperation)c.Operation).Constructor), OperationKind.ObjectCreation);
            start.RegisterOperationAction(c => AnalyzeMember(c, scalar, ((IBinaryOperation)c.Operation).OperatorMethod), OperationKind.Binary);
            start.RegisterOperationAction(c => AnalyzeMember(c, scalar, ((IUnaryOperation)c.Operation).OperatorMethod), OperationKind.Unary);
            start.RegisterOperationAction(c => AnalyzeMember(c, scalar, ((ICompoundAssignmentOperation)c.Operation).OperatorMethod), OperationKind.CompoundAssignment);
            start.RegisterOperationAction(c => AnalyzeMember(c, scalar, ((IIncrementOrDecrementOperation)c.Operation).OperatorMethod), OperationKind.Increment, OperationKind.Decrement);
            start.RegisterOperationAction(c => AnalyzeProperty(c, scalar), OperationKind.PropertyReference);
        });
    }

    private static void AnalyzeConversion(OperationAnalysisContext context, INamedTypeSymbol scalar)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (conversion.OperatorMethod is null || !SymbolEqualityComparer.Default.Equals(conversion.Type, scalar) || IsKeptAlive(conversion))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(TemporaryScalar, conversion.Syntax.GetLocation(), conversion.Syntax.ToString()));
    }

    private static void AnalyzeMember(OperationAnalysisContext context, INamedTypeSymbol scalar, IMethodSymbol? method)
    {
        if (method is null)
        {
            return;
        }

        var definition = (method.ReducedFrom ?? method).OriginalDefinition;
        if (context.Operation is IInvocationOperation && SymbolEqualityComparer.Default.Equals(method.ReturnType, scalar) && CreatesScalar(definition) && !IsKeptAlive(context.Operation))
        {
            context.ReportDiagnostic(Diagnostic.Create(TemporaryScalar, context.Operation.Syntax.GetLocation(), context.Operation.Syntax.ToString()));
            return;
        }

        var id = definition.GetDocumentationCommentId();
        if (id is not null && Hidden.Value.Contains(id))
        {
            context.ReportDiagnostic(Diagnostic.Create(HiddenScalar, context.Operation.Syntax.GetLocation(), context.Operation.Syntax.ToString()));
        }
    }

    private static void AnalyzeProperty(OperationAnalysisContext context, INamedTypeSymbol scalar)
    {
        var property = ((IPropertyReferenceOperation)context.Operation).Property.OriginalDefinition;
        foreach (var accessor in new[] { property.GetMethod, property.SetMethod })
        {
            var id = accessor?.GetDocumentationCommentId();
            if (id is not null && Hidden.Value.Contains(id))
            {
                context.ReportDiagnostic(Diagnostic.Create(HiddenScalar, context.Operation.Syntax.GetLocation(), context.Operation.Syntax.ToString()));
                return;
            }
        }
    }

    /// <summary>Whether a method makes a new scalar for its caller: TorchSharp's <c>ToScalar</c> or ConvViz's <c>Scalars.Create</c>.</summary>
    private static bool CreatesScalar(IMethodSymbol method) =>
        (method.Name == "ToScalar" && method.ContainingType.ToDisplayString() == "TorchSharp.ScalarExtensionMethods") ||
        (method.Name == "Create" && method.ContainingType.ToDisplayString() == "ConvViz.Scalars");

    /// <summary>
    /// Whether a scalar-creating expression is the initializer of a <c>using</c> local, of a <c>static readonly</c>
    /// field, or the value returned by a factory of <c>ConvViz.Scalars</c> (whose callers are checked in turn).
    /// </summary>
    private static bool IsKeptAlive(IOperation operation)
    {
        var parent = operation.Parent;
        while (parent is IConversionOperation { OperatorMethod: null } or IParenthesizedOperation)
        {
            parent = parent.Parent;
        }

        if (parent is IFieldInitializerOperation field)
        {
            return field.InitializedFields.All(f => f.IsStatic && f.IsReadOnly);
        }

        if (parent is IReturnOperation && operation.SemanticModel?.GetEnclosingSymbol(operation.Syntax.SpanStart)?.ContainingType?.ToDisplayString() == "ConvViz.Scalars")
        {
            return true;
        }

        if (parent is not IVariableInitializerOperation)
        {
            return false;
        }

        for (var p = parent.Parent; p is not null; p = p.Parent)
        {
            switch (p)
            {
                case IVariableDeclaratorOperation or IVariableDeclarationOperation:
                    continue;
                case IVariableDeclarationGroupOperation group:
                    return group.Parent is IUsingDeclarationOperation || group.Parent is IUsingOperation;
                case IUsingDeclarationOperation or IUsingOperation:
                    return true;
                default:
                    return false;
            }
        }

        return false;
    }

    private static ImmutableHashSet<string> LoadHiddenMembers()
    {
        using var stream = typeof(TemporaryScalarAnalyzer).Assembly.GetManifestResourceStream("HiddenScalarMembers.txt")
            ?? throw new InvalidOperationException("HiddenScalarMembers.txt is not embedded in ConvViz.Analyzers.");
        using var reader = new StreamReader(stream);
        var members = new List<string>();
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            line = line.Trim();
            if (line.Length > 0 && !line.StartsWith("#", StringComparison.Ordinal))
            {
                members.Add(line);
            }
        }

        return members.ToImmutableHashSet(StringComparer.Ordinal);
    }
}
