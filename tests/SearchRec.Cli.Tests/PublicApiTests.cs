using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit;

namespace SearchRec.Cli.Tests;

/// <summary>
/// Each library's public surface is the one checked in under <c>PublicApi/</c>, so that a change to it is seen in
/// review. After a deliberate change, run the tests with <c>SEARCHREC_APPROVE_API=1</c> and commit the files.
/// </summary>
public sealed class PublicApiTests
{
    public static TheoryData<string> Libraries => new()
    {
        "SearchRec.Core", "SearchRec.Text", "SearchRec.Index", "SearchRec.Synthetic", "SearchRec.Collab", "SearchRec.Deep",
        "SearchRec.Ranking", "SearchRec.Evaluation", "SearchRec.Server",
    };

    [Theory]
    [MemberData(nameof(Libraries))]
    public void The_public_surface_is_the_approved_one(string library)
    {
        var actual = Describe(Assembly.Load(library));
        var approved = Path.Combine(RepoRoot(), "tests", "SearchRec.Cli.Tests", "PublicApi", library + ".txt");
        if (Environment.GetEnvironmentVariable("SEARCHREC_APPROVE_API") == "1")
        {
            File.WriteAllText(approved, actual);
            return;
        }
        var expected = File.Exists(approved) ? File.ReadAllText(approved).ReplaceLineEndings("\n") : "";
        if (expected == actual) return;
        var was = expected.Split('\n').ToHashSet(StringComparer.Ordinal);
        var now = actual.Split('\n').ToHashSet(StringComparer.Ordinal);
        var added = now.Where(l => !was.Contains(l)).Take(20).Select(l => "+ " + l);
        var removed = was.Where(l => !now.Contains(l)).Take(20).Select(l => "- " + l);
        Assert.Fail($"The public surface of {library} changed; if that is meant, run the tests with SEARCHREC_APPROVE_API=1 and commit {approved}.\n"
            + string.Join("\n", removed.Concat(added)));
    }

    [Fact]
    public void The_description_names_members_with_their_types_and_leaves_out_what_the_compiler_adds()
    {
        var text = Describe(typeof(SearchRec.Core.Events.UserEvent).Assembly);
        Assert.Contains("public readonly struct SearchRec.Core.Events.UserEvent : System.IEquatable<SearchRec.Core.Events.UserEvent>", text, StringComparison.Ordinal);
        Assert.Contains("  long UserId { get; init; }", text, StringComparison.Ordinal);
        Assert.Contains("  .ctor(long UserId, long ItemId, long CategoryId, SearchRec.Core.Events.Behavior Behavior, long Timestamp)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("PrintMembers", text, StringComparison.Ordinal);
        Assert.DoesNotContain("get_UserId", text, StringComparison.Ordinal);
    }

    internal static string Describe(Assembly assembly)
    {
        var sb = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            sb.Append(Header(type)).Append('\n');
            foreach (var member in Members(type).Order(StringComparer.Ordinal)) sb.Append("  ").Append(member).Append('\n');
        }
        return sb.ToString();
    }

    private static string Header(Type t)
    {
        string kind = t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? (t.IsDefined(typeof(IsReadOnlyAttribute)) ? "readonly struct" : "struct")
            : t.IsAbstract && t.IsSealed ? "static class" : t.IsAbstract ? "abstract class" : t.IsSealed ? "sealed class" : "class";
        var bases = new List<string>();
        if (t.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum)) bases.Add(Name(b));
        if (!t.IsEnum) bases.AddRange(t.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Order(StringComparer.Ordinal));
        return $"public {kind} {Name(t)}" + (bases.Count > 0 ? " : " + string.Join(", ", bases) : "");
    }

    private static IEnumerable<string> Members(Type t)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (t.IsEnum)
        {
            foreach (var f in t.GetFields(BindingFlags.Public | BindingFlags.Static)) yield return $"{f.Name} = {Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}";
            yield break;
        }
        static bool Visible(MethodBase? m) => m is not null && (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly);
        foreach (var c in t.GetConstructors(all))
            if (Visible(c) && !c.IsDefined(typeof(CompilerGeneratedAttribute))) yield return $"{Access(c)}.ctor({Parameters(c)})";
        foreach (var m in t.GetMethods(all))
        {
            if (!Visible(m) || m.IsSpecialName && !m.Name.StartsWith("op_", StringComparison.Ordinal)) continue;
            if (m.IsDefined(typeof(CompilerGeneratedAttribute)) || m.Name.Contains('<', StringComparison.Ordinal)) continue;
            yield return $"{Access(m)}{(m.IsStatic ? "static " : "")}{Name(m.ReturnType)} {m.Name}{Generic(m)}({Parameters(m)})";
        }
        foreach (var p in t.GetProperties(all))
        {
            var get = Visible(p.GetMethod) ? p.GetMethod : null;
            var set = Visible(p.SetMethod) ? p.SetMethod : null;
            if (get is null && set is null || (get ?? set)!.IsDefined(typeof(CompilerGeneratedAttribute)) && p.Name == "EqualityContract") continue;
            bool init = set is not null && set.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(IsExternalInit));
            var index = p.GetIndexParameters();
            string name = index.Length > 0 ? $"this[{string.Join(", ", index.Select(i => Name(i.ParameterType) + " " + i.Name))}]" : p.Name;
            yield return $"{Access((get ?? set)!)}{((get ?? set)!.IsStatic ? "static " : "")}{Name(p.PropertyType)} {name} {{ {(get is null ? "" : "get; ")}{(set is null ? "" : init ? "init; " : "set; ")}}}";
        }
        foreach (var f in t.GetFields(all))
        {
            if (!(f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) || f.IsDefined(typeof(CompilerGeneratedAttribute))) continue;
            string mods = f.IsLiteral ? "const " : (f.IsStatic ? "static " : "") + (f.IsInitOnly ? "readonly " : "");
            yield return $"{(f.IsFamily ? "protected " : "")}{mods}{Name(f.FieldType)} {f.Name}";
        }
        foreach (var e in t.GetEvents(all))
            if (Visible(e.AddMethod)) yield return $"event {Name(e.EventHandlerType!)} {e.Name}";
    }

    private static string Access(MethodBase m) => m.IsFamily || m.IsFamilyOrAssembly ? "protected " : "";

    private static string Generic(MethodInfo m) => m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(p =>
        (p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : "")
        + (p.IsDefined(typeof(ParamArrayAttribute)) || p.IsDefined(typeof(ParamCollectionAttribute)) ? "params " : "")
        + Name(p.ParameterType) + " " + p.Name + (p.HasDefaultValue ? " = " + Default(p.DefaultValue) : "")));

    private static string Default(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static readonly Dictionary<Type, string> Keywords = new()
    {
        [typeof(void)] = "void", [typeof(bool)] = "bool", [typeof(byte)] = "byte", [typeof(sbyte)] = "sbyte", [typeof(short)] = "short",
        [typeof(ushort)] = "ushort", [typeof(int)] = "int", [typeof(uint)] = "uint", [typeof(long)] = "long", [typeof(ulong)] = "ulong",
        [typeof(float)] = "float", [typeof(double)] = "double", [typeof(decimal)] = "decimal", [typeof(char)] = "char",
        [typeof(string)] = "string", [typeof(object)] = "object",
    };

    private static string Name(Type t)
    {
        if (t.IsByRef) return Name(t.GetElementType()!);
        if (t.IsArray) return Name(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (t.IsPointer) return Name(t.GetElementType()!) + "*";
        if (Keywords.TryGetValue(t, out var k)) return k;
        if (t.IsGenericParameter) return t.Name;
        if (Nullable.GetUnderlyingType(t) is { } inner) return Name(inner) + "?";
        string name = t.IsNested ? Name(t.DeclaringType!) + "." + t.Name : (t.Namespace is null ? "" : t.Namespace + ".") + t.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0) name = name[..tick];
        if (!t.IsGenericType) return name;
        var args = t.GetGenericArguments();
        // A nested type's own arguments come after its parent's.
        int own = t.IsNested ? args.Length - t.DeclaringType!.GetGenericArguments().Length : args.Length;
        return own <= 0 ? name : name + "<" + string.Join(", ", args.Skip(args.Length - own).Select(Name)) + ">";
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SearchRec.sln"))) return dir.FullName;
        throw new InvalidOperationException("SearchRec.sln not found above " + AppContext.BaseDirectory);
    }
}
