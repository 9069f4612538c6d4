// Copyright (c) ConvViz contributors. Licensed under the MIT License.

using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace ConvViz.Tests.Architecture;

/// <summary>
/// Reads TorchSharp's IL and finds every public member that creates a <c>TorchSharp.Scalar</c> of its own (an implicit
/// conversion or <c>ToScalar</c>, such as the hidden <c>alpha = 1</c> of <c>add(Tensor)</c>) without disposing it, directly
/// or through the TorchSharp methods it calls. Such a scalar is collectable while libtorch still reads it. The result is
/// written in documentation-comment ID form (<c>M:TorchSharp.torch.Tensor.add(TorchSharp.torch.Tensor)</c>), the form the
/// ConvViz analyzer (CVZ0002) matches calls against.
/// </summary>
internal static class TorchSharpScalarScan
{
    private static readonly Dictionary<short, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>Scans the TorchSharp assembly and returns the sorted documentation IDs of the members that create hidden scalars.</summary>
    /// <param name="assemblyPath">The path of TorchSharp.dll.</param>
    /// <returns>The IDs, sorted ordinally.</returns>
    public static IReadOnlyList<string> HiddenScalarMembers(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();

        var creates = new HashSet<MethodDefinitionHandle>();
        var disposes = new HashSet<MethodDefinitionHandle>();
        var calls = new Dictionary<MethodDefinitionHandle, List<MethodDefinitionHandle>>();
        foreach (var handle in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0)
            {
                continue;
            }

            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            var callees = new List<MethodDefinitionHandle>();
            foreach (var token in CallTokens(body.GetILBytes() ?? []))
            {
                var (target, typeName, name) = Resolve(md, token);
                if (typeName == "TorchSharp.Scalar" && name is "op_Implicit" or "op_Explicit")
                {
                    creates.Add(handle);
                }
                else if (typeName == "TorchSharp.ScalarExtensionMethods" && name == "ToScalar")
                {
                    creates.Add(handle);
                }
                else if (typeName == "TorchSharp.Scalar" && name == "Dispose")
                {
                    disposes.Add(handle);
                }
                else if (!target.IsNil)
                {
                    callees.Add(target);
                }
            }

            calls[handle] = callees;
        }

        // A method whose own scalar is disposed in its body keeps it alive until after the native call.
        var hidden = new HashSet<MethodDefinitionHandle>(creates.Where(h => !disposes.Contains(h)));
        bool changed;
        do
        {
            changed = false;
            foreach (var (caller, callees) in calls)
            {
                if (!hidden.Contains(caller) && callees.Any(hidden.Contains))
                {
                    hidden.Add(caller);
                    changed = true;
                }
            }
        }
        while (changed);

        var provider = new DocIdTypeProvider(md);
        return [.. hidden.Where(h => IsVisible(md, h)).Select(h => DocId(md, provider, h)).Distinct().Order(StringComparer.Ordinal)];
    }

    private static IEnumerable<int> CallTokens(byte[] il)
    {
        for (var i = 0; i < il.Length;)
        {
            short value = il[i];
            i++;
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il[i]));
                i++;
            }

            var operandType = OperandTypes[value];
            if (value is 0x28 or 0x6F or 0x73 || value == unchecked((short)0xFE06))
            {
                // call, callvirt, newobj, ldftn
                yield return BitConverter.ToInt32(il, i);
            }

            i += operandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, i)),
                _ => 4,
            };
        }
    }

    private static (MethodDefinitionHandle Target, string TypeName, string Name) Resolve(MetadataReader md, int token)
    {
        var handle = MetadataTokens.EntityHandle(token);
        switch (handle.Kind)
        {
            case HandleKind.MethodDefinition:
            {
                var h = (MethodDefinitionHandle)handle;
                var m = md.GetMethodDefinition(h);
                return (h, TypeName(md, m.GetDeclaringType()), md.GetString(m.Name));
            }

            case HandleKind.MethodSpecification:
                return Resolve(md, MetadataTokens.GetToken(md.GetMethodSpecification((MethodSpecificationHandle)handle).Method));

            case HandleKind.MemberReference:
            {
                var r = md.GetMemberReference((MemberReferenceHandle)handle);
                var parent = r.Parent.Kind switch
                {
                    HandleKind.TypeReference => TypeName(md, (TypeReferenceHandle)r.Parent),
                    HandleKind.TypeDefinition => TypeName(md, (TypeDefinitionHandle)r.Parent),
                    _ => string.Empty,
                };
                return (default, parent, md.GetString(r.Name));
            }

            default:
                return (default, string.Empty, string.Empty);
        }
    }

    private static bool IsVisible(MetadataReader md, MethodDefinitionHandle handle)
    {
        var method = md.GetMethodDefinition(handle);
        var access = method.Attributes & MethodAttributes.MemberAccessMask;
        if (access is not (MethodAttributes.Public or MethodAttributes.Family or MethodAttributes.FamORAssem))
        {
            return false;
        }

        for (var type = method.GetDeclaringType(); !type.IsNil;)
        {
            var t = md.GetTypeDefinition(type);
            var visibility = t.Attributes & TypeAttributes.VisibilityMask;
            if (visibility is not (TypeAttributes.Public or TypeAttributes.NestedPublic or TypeAttributes.NestedFamily or TypeAttributes.NestedFamORAssem))
            {
                return false;
            }

            type = t.GetDeclaringType();
        }

        return true;
    }

    private static string TypeName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var t = md.GetTypeDefinition(handle);
        var declaring = t.GetDeclaringType();
        var name = md.GetString(t.Name);
        return declaring.IsNil
            ? (t.Namespace.IsNil ? name : $"{md.GetString(t.Namespace)}.{name}")
            : $"{TypeName(md, declaring)}.{name}";
    }

    private static string TypeName(MetadataReader md, TypeReferenceHandle handle)
    {
        var t = md.GetTypeReference(handle);
        var name = md.GetString(t.Name);
        return t.ResolutionScope.Kind == HandleKind.TypeReference
            ? $"{TypeName(md, (TypeReferenceHandle)t.ResolutionScope)}.{name}"
            : (t.Namespace.IsNil ? name : $"{md.GetString(t.Namespace)}.{name}");
    }

    private static string DocId(MetadataReader md, DocIdTypeProvider provider, MethodDefinitionHandle handle)
    {
        var method = md.GetMethodDefinition(handle);
        var name = md.GetString(method.Name);
        var signature = method.DecodeSignature(provider, null);
        var id = $"M:{TypeName(md, method.GetDeclaringType()).Replace('`', '`')}.{name.Replace('.', '#')}";
        if (signature.GenericParameterCount > 0)
        {
            id += $"``{signature.GenericParameterCount}";
        }

        if (signature.ParameterTypes.Length > 0)
        {
            id += $"({string.Join(",", signature.ParameterTypes)})";
        }

        if (name is "op_Implicit" or "op_Explicit")
        {
            id += $"~{signature.ReturnType}";
        }

        return id;
    }

    /// <summary>Decodes signature types into the documentation-comment ID syntax.</summary>
    private sealed class DocIdTypeProvider(MetadataReader md) : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string elementType, ArrayShape shape) =>
            $"{elementType}[{string.Join(",", Enumerable.Repeat("0:", shape.Rank))}]";

        public string GetByReferenceType(string elementType) => elementType + "@";

        public string GetFunctionPointerType(MethodSignature<string> signature) => "method";

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments)
        {
            var tick = genericType.LastIndexOf('`');
            var bare = tick < 0 ? genericType : genericType[..tick];
            return $"{bare}{{{string.Join(",", typeArguments)}}}";
        }

        public string GetGenericMethodParameter(object? genericContext, int index) => $"``{index}";

        public string GetGenericTypeParameter(object? genericContext, int index) => $"`{index}";

        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        public string GetPinnedType(string elementType) => elementType;

        public string GetPointerType(string elementType) => elementType + "*";

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode switch
        {
            PrimitiveTypeCode.Boolean => "System.Boolean",
            PrimitiveTypeCode.Byte => "System.Byte",
            PrimitiveTypeCode.SByte => "System.SByte",
            PrimitiveTypeCode.Char => "System.Char",
            PrimitiveTypeCode.Int16 => "System.Int16",
            PrimitiveTypeCode.UInt16 => "System.UInt16",
            PrimitiveTypeCode.Int32 => "System.Int32",
            PrimitiveTypeCode.UInt32 => "System.UInt32",
            PrimitiveTypeCode.Int64 => "System.Int64",
            PrimitiveTypeCode.UInt64 => "System.UInt64",
            PrimitiveTypeCode.Single => "System.Single",
            PrimitiveTypeCode.Double => "System.Double",
            PrimitiveTypeCode.IntPtr => "System.IntPtr",
            PrimitiveTypeCode.UIntPtr => "System.UIntPtr",
            PrimitiveTypeCode.Object => "System.Object",
            PrimitiveTypeCode.String => "System.String",
            PrimitiveTypeCode.TypedReference => "System.TypedReference",
            PrimitiveTypeCode.Void => "System.Void",
            _ => typeCode.ToString(),
        };

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => TypeName(md, handle);

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => TypeName(md, handle);

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    }
}
