using DeployMatrix.CloudRun.Api;

namespace DeployMatrix.CloudRun.Tests.Support;

/// <summary>The access token the double accepts, standing in for Application Default Credentials.</summary>
public sealed class FixedToken : ITokenSource
{
    public Task<string> GetAccessTokenAsync(CancellationToken cancellationToken) => Task.FromResult(CloudRunDouble.Token);
}
