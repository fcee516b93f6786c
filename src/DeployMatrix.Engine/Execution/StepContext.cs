using DeployMatrix.Core.Planning;

namespace DeployMatrix.Engine.Execution;

/// <summary>What earlier steps of a plan learned that later steps need.</summary>
public sealed class StepContext(Plan plan)
{
    public Plan Plan { get; } = plan;

    /// <summary>The revision this plan's deploy step created.</summary>
    public string? NewRevision { get; set; }

    /// <summary>The service's current image, read for the migrate rerun helper.</summary>
    public string? ResolvedImage { get; set; }

    public string? ReceiptPath { get; set; }

    /// <summary>Facts for the receipt (revision, images, traffic before and after, drift, …).</summary>
    public Dictionary<string, string> Facts { get; } = new(StringComparer.Ordinal);

    /// <summary>Service URLs already read (by service name), so a plan reads each once.</summary>
    public Dictionary<string, string> ServiceUrls { get; } = new(StringComparer.Ordinal);

    /// <summary>Plan images resolved to exact images (a platform may pin a tag to a digest).</summary>
    public Dictionary<string, string> Images { get; } = new(StringComparer.Ordinal);
}
