using DeployMatrix.Tests.Support;
using Npgsql;

namespace DeployMatrix.State.Tests;

/// <summary>
/// The store's contract on a real PostgreSQL server (started for the test run, a database per test):
/// each store is a session, alive while its connection is, as on another machine.
/// </summary>
public sealed class PostgresStoreTests : StoreContract
{
    private readonly string _url = PostgresServer.Instance.CreateDatabase();

    protected override StateLocation Location => StateLocation.Postgres(_url, "DEPLOYMATRIX_STATE_URL");

    private string Database => new Uri(_url).AbsolutePath.TrimStart('/');

    protected override void Sql(string sql)
    {
        using var connection = new NpgsqlConnection(PostgresServer.Instance.ConnectionString(Database));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    protected override StateStore OpenProcess() => Open();

    /// <summary>Closes the store's connection; the server ends its session, which others see within moments (bounded: 10 s).</summary>
    protected override void Kill(StateStore store)
    {
        var pid = store.Owner.Pid;
        store.Dispose();
        using var observer = StateStore.Open(Location, Time);
        for (var i = 0; i < 200 && observer.Owner.IsAlive(pid); i++)
        {
            Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System).GetAwaiter().GetResult();
        }

        Assert.False(observer.Owner.IsAlive(pid), $"session {pid} still holds its lock 10 s after its connection closed");
    }

    [Fact]
    public void AStore_IsASession_NamedByUserHostAndPid_AndSaidWithoutItsPassword()
    {
        var store = Open();
        var other = Open();

        Assert.True(store.Shared);
        Assert.NotEqual(store.Owner.Pid, other.Owner.Pid);
        Assert.Equal($"{Environment.UserName}@{Environment.MachineName} pid {Environment.ProcessId}", other.Owner.Describe(store.Owner.Pid));
        Assert.Equal($"postgresql://{PostgresServer.User}@127.0.0.1:{PostgresServer.Instance.Port}/{Database}", store.Location);
        Assert.DoesNotContain(PostgresServer.Instance.Password, Location.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AWrongPassword_IsOneLine_NamingTheDatabase_WithoutThePassword()
    {
        var wrong = _url.Replace(PostgresServer.Instance.Password, "not-" + PostgresServer.Instance.Password, StringComparison.Ordinal);

        var e = Assert.Throws<StateStoreException>(() => StateStore.Open(StateLocation.Postgres(wrong, "DEPLOYMATRIX_STATE_URL"), Time));

        Assert.StartsWith($"cannot use the state database postgresql://{PostgresServer.User}@127.0.0.1:", e.Message, StringComparison.Ordinal);
        Assert.Contains("password authentication failed", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(PostgresServer.Instance.Password, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("postgresql://u:secret-1@127.0.0.1:1/db?sslmode=verify-full&bogus=1", "DEPLOYMATRIX_STATE_URL: unknown parameter 'bogus'; known: ")]
    [InlineData("postgresql://u:secret-1@127.0.0.1:1/", "DEPLOYMATRIX_STATE_URL names no database; give postgresql://USER:PASSWORD@HOST:PORT/DB")]
    [InlineData("Host=127.0.0.1;Password=secret-1;Colour=blue", "DEPLOYMATRIX_STATE_URL is not a PostgreSQL URI")]
    public void ABadUrl_IsRefused_WithoutRepeatingIt(string url, string expected)
    {
        var e = Assert.Throws<StateStoreException>(() => StateLocation.Postgres(url, "DEPLOYMATRIX_STATE_URL"));

        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnreachableServer_IsOneLine_WithTheFix()
    {
        var e = Assert.Throws<StateStoreException>(() => StateStore.Open(StateLocation.Postgres("postgresql://u:secret-1@127.0.0.1:1/db?connect_timeout=2", "DEPLOYMATRIX_STATE_URL"), Time));

        Assert.StartsWith("cannot use the state database postgresql://u@127.0.0.1:1/db: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("check DEPLOYMATRIX_STATE_URL (or the matrix's state.url-env) and that the database is reachable", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-1", e.Message, StringComparison.Ordinal);
    }
}
