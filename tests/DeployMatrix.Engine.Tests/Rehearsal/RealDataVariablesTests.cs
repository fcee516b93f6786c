using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Rehearsal;

namespace DeployMatrix.Engine.Tests.Rehearsal;

/// <summary>The rule that keeps a rehearsal off the environment's data: which variables lead there, and the refusals' lines.</summary>
public sealed class RealDataVariablesTests
{
    private const string Password = "pr0d-s3cret";

    [Theory]
    [InlineData("DATABASE_URL")]
    [InlineData("database_url")]
    [InlineData("ANALYTICS_DATABASE_URL")]
    [InlineData("DSN")]
    [InlineData("ORDERS_DSN")]
    [InlineData("REDIS_URL")]
    [InlineData("CACHE_REDIS_URL")]
    [InlineData("MONGO_URL")]
    [InlineData("MONGODB_URI")]
    [InlineData("AMQP_URL")]
    [InlineData("RABBITMQ_URL")]
    [InlineData("RABBITMQ_DEFAULT_URI")]
    [InlineData("CLOUDAMQP_URL")]
    [InlineData("PGHOST")]
    [InlineData("PGHOSTADDR")]
    [InlineData("PGDATABASE")]
    [InlineData("PGSERVICE")]
    public void ByName_TheConventionsForFindingData_AreCaught(string name) => Assert.True(RealDataVariables.ByName(name));

    [Theory]
    [InlineData("PORT")]
    [InlineData("DATABASE")]
    [InlineData("PGUSER")]
    [InlineData("PGPORT")]
    [InlineData("REDIS_TTL")]
    [InlineData("MONGO_POOL_SIZE")]
    [InlineData("DATABASE_URL_FILE_MODE")]
    [InlineData("OA_SYNC_TOKEN_ISSUER")]
    public void ByName_OtherVariables_AreNot(string name) => Assert.False(RealDataVariables.ByName(name));

    [Theory]
    [InlineData("postgres://app:" + Password + "@db.prod.internal:5432/app")]
    [InlineData("postgresql://db.prod.internal/app")]
    [InlineData("POSTGRES://10.0.0.7/app")]
    [InlineData("mysql://root@mysql.example.com/shop")]
    [InlineData("mariadb://10.1.2.3:3306/shop")]
    [InlineData("redis://:" + Password + "@cache.example.com:6379/0")]
    [InlineData("rediss://cache.example.com:6380")]
    [InlineData("mongodb://a.example.com:27017,b.example.com:27017/app?replicaSet=rs0")]
    [InlineData("mongodb+srv://cluster0.example.mongodb.net/app")]
    [InlineData("amqp://guest:guest@mq.example.com:5672/%2f")]
    [InlineData("amqps://mq.example.com")]
    [InlineData("sqlserver://sql.example.com:1433;database=app")]
    [InlineData("postgres://[2001:db8::1]:5432/app")]
    [InlineData("postgres://localhost,db.prod.internal/app")]
    [InlineData("postgresql:///app?host=db.prod.internal")]
    [InlineData("jdbc:postgresql://db.prod.example:5432/app")]
    [InlineData("postgresql+psycopg2://u:pw@db.prod.example/app")]
    [InlineData("mysql+pymysql://u:pw@db.prod.example/app")]
    [InlineData("host=db.prod.internal port=5432 dbname=app user=app password=" + Password)]
    [InlineData("host = db.prod.internal dbname = app")]
    [InlineData("dbname=app host=localhost,db.prod.internal")]
    [InlineData("hostaddr=10.0.0.7 dbname='app'")]
    [InlineData("Host=db.prod.internal;Port=5432;Database=app;Username=app;Password=" + Password)]
    [InlineData("Server=tcp:sql.example.com,1433;Initial Catalog=shop;User ID=u")]
    [InlineData("Data Source=sql.example.com;Database=shop")]
    [InlineData("Host=\"db.prod.internal\";Database='app;archive'")]
    public void ByValue_ADatabaseOrQueueUrlToAnotherMachine_IsCaught(string value) => Assert.True(RealDataVariables.ByValue(value));

    [Theory]
    [InlineData("postgres://app:pw@localhost:5432/app")]
    [InlineData("postgres://127.0.0.1/app")]
    [InlineData("redis://127.0.0.2:6379")]
    [InlineData("postgres://[::1]:5432/app")]
    [InlineData("postgresql:///app?host=/var/run/postgresql")]
    [InlineData("https://api.example.com/v1")]
    [InlineData("http://db.prod.internal:8080/")]
    [InlineData("db.prod.internal:5432")]
    [InlineData("workos")]
    [InlineData("")]
    [InlineData("host=localhost port=5432 dbname=app")]
    [InlineData("host=/var/run/postgresql dbname=app")]
    [InlineData("Host=127.0.0.1;Database=app;Username=app")]
    [InlineData("Server=tcp:localhost,1433;Database=shop")]
    [InlineData("host=api.example.com timeout=5")]
    [InlineData("Endpoint=sb://bus.example.com/;SharedAccessKeyName=k")]
    public void ByValue_LoopbackSocketsAndOtherSchemes_AreNot(string value) => Assert.False(RealDataVariables.ByValue(value));

    [Fact]
    public void Find_NamesByNameOrValue_AndSecretRequirementsByNameOnly_InOrder()
    {
        var target = Target(new()
        {
            ["DATABASE_URL"] = "postgres://localhost/app",
            ["EVENTS"] = "amqp://mq.example.com",
            ["LOG_LEVEL"] = "info",
            ["CACHE"] = "redis://127.0.0.1:6379",
            // Where errors are reported, not data: Sentry's DSN is an https URL.
            ["SENTRY_DSN"] = "https://public@o1.ingest.sentry.io/2",
        }) with
        {
            Requires =
            [
                new Requirement { Name = "ORDERS_DSN", Secret = true },
                new Requirement { Name = "WORKOS_API_KEY", Secret = true },
                new Requirement { Name = "REDIS_URL" },
            ],
        };

        Assert.Equal(["DATABASE_URL", "EVENTS", "ORDERS_DSN"], RealDataVariables.Find(target));
    }

    [Fact]
    public void NotReplaced_AVariableTheDataCommandLeftOutOrSetToTheRealValue_IsNamed()
    {
        var real = new Dictionary<string, string> { ["DATABASE_URL"] = "postgres://db.prod.internal/app", ["REDIS_URL"] = "redis://cache.example.com", ["PGHOST"] = "db.prod.internal" };
        var scratch = new Dictionary<string, string> { ["DATABASE_URL"] = "postgres://localhost/scratch", ["PGHOST"] = "db.prod.internal" };

        Assert.Equal(["PGHOST", "REDIS_URL"], RealDataVariables.NotReplaced(["PGHOST", "REDIS_URL", "DATABASE_URL"], real, scratch));
        Assert.Empty(RealDataVariables.NotReplaced(["DATABASE_URL"], real, scratch));
    }

    [Fact]
    public void RefuseWithoutDataCommand_NamesTheVariablesAndTheFix_NeverTheirValues_Exit2()
    {
        var target = Target(new() { ["DATABASE_URL"] = $"postgres://app:{Password}@db.prod.internal/app", ["REDIS_URL"] = "redis://cache.example.com" });

        var e = Assert.Throws<OperationException>(() => RealDataVariables.RefuseWithoutDataCommand(target));

        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Equal("api in production has DATABASE_URL, REDIS_URL, which lead to data outside the rehearsal's scratch (the environment's own), and a rehearsal never touches it; "
            + "nothing was started: add rehearsal: { data: { command: … } } to api, whose command writes DATABASE_URL=scratch-value, REDIS_URL=scratch-value lines to $DEPLOYMATRIX_SCRATCH_ENV", e.Message);
        Assert.DoesNotContain(Password, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("db.prod.internal", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefuseWithoutDataCommand_ATargetWithoutSuchVariables_GoesAhead() =>
        RealDataVariables.RefuseWithoutDataCommand(Target(new() { ["LOG_LEVEL"] = "info", ["CACHE"] = "redis://localhost:6379" }));

    [Fact]
    public void NotReplacedReason_OneVariable_SaysTheLineToWrite() =>
        Assert.Equal("the data command did not replace DATABASE_URL, which leads to data outside the rehearsal's scratch (the environment's own); "
            + "nothing was started: make it write DATABASE_URL=scratch-value as a line to $DEPLOYMATRIX_SCRATCH_ENV", RealDataVariables.NotReplacedReason(["DATABASE_URL"]));

    private static ResolvedTarget Target(Dictionary<string, string> env) =>
        new() { Lane = "api", Environment = "production", Platform = PlatformKind.Local, Service = "api", Rollout = RolloutPolicy.Default, Env = env };
}
