using DeployMatrix.CloudRun.Api;
using DeployMatrix.CloudRun.Invoker;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// The access token the double accepts, standing in for Application Default Credentials. Like any bare
/// access token it says nothing of whose it is, so it mints no ID tokens.
/// </summary>
public sealed class FixedToken : ITokenSource, IIdTokenSource
{
    public Task<string> GetAccessTokenAsync(CancellationToken cancellationToken) => Task.FromResult(CloudRunDouble.Token);

    public Task<IdToken> GetIdTokenAsync(string audience, CancellationToken cancellationToken) =>
        throw new IdTokensUnavailableException("a fixed access token");
}
