using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Loading;

/// <summary>Reads a release-tag policy; a field not written is taken from the base (the defaults').</summary>
internal static class ReleaseTagReader
{
    public static readonly string[] Keys = ["keep"];

    public static ReleaseTagPolicy Read(MapReader r, ReleaseTagPolicy baseline) => new()
    {
        Keep = (int?)r.Integer("keep", 1, ReleaseTagPolicy.MaxKeep) ?? baseline.Keep,
    };
}
