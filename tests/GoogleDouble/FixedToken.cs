using DeployMatrix.CloudRun.Api;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>The access token the double accepts, standing in for Application Default Credentials.</summary>
public sealed class FixedToken : ITokenSource
{
    public Task<string> GetAccessTokenAsync(CancellationToken cancellationToken) => Task.FromResult(CloudRunDouble.Token);
}
