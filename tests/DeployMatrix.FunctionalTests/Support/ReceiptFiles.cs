using System.Text.Json;

namespace DeployMatrix.FunctionalTests.Support;

/// <summary>The receipts a command left in a workspace's <c>.deploymatrix/receipts</c>.</summary>
public static class ReceiptFiles
{
    /// <summary>The one receipt of <paramref name="action"/> on LANE in ENV (e.g. <c>runtime</c>, <c>staging</c>, <c>deploy</c>); fails the test unless there is exactly one.</summary>
    public static JsonElement Only(string workspace, string lane, string env, string action) =>
        JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(Path.Combine(workspace, ".deploymatrix", "receipts"), $"*{lane}-{env}-{action}*.json").Single())).RootElement;
}
