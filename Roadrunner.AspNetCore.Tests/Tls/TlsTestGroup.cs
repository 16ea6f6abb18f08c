namespace Roadrunner.AspNetCore.Tests.Tls;

/// <summary>The TLS tests run one class at a time: they count the process's certificate watchers.</summary>
[CollectionDefinition(Name)]
public sealed class TlsTestGroup
{
    public const string Name = "tls";
}
