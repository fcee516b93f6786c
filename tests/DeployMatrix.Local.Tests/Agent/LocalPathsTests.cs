namespace DeployMatrix.Local.Tests.Agent;

public sealed class LocalPathsTests
{
    private readonly LocalPaths _paths = new("/work/app/.deploymatrix");

    [Fact]
    public void AJobNameThatIsAPath_CannotPlaceItsLogOutsideTheStateFolder()
    {
        Assert.Throws<ArgumentException>(() => _paths.JobLog("staging", "x/../../../../x", 1));
        Assert.Throws<ArgumentException>(() => _paths.DataDir("..", ".."));
        Assert.Throws<ArgumentException>(() => _paths.RevisionLog("../../../etc/cron.d/x"));
    }

    [Fact]
    public void ValidNames_StayWhereTheyAlwaysWere()
    {
        Assert.Equal("/work/app/.deploymatrix/logs/jobs/staging-api-migrate-00001.log", _paths.JobLog("staging", "api-migrate", 1));
        Assert.Equal("/work/app/.deploymatrix/data/staging/api", _paths.DataDir("staging", "api"));
    }
}
