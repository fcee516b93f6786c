using DeployMatrix.Tests.Support;
using Microsoft.Playwright;

namespace DeployMatrix.BrowserTests.Support;

/// <summary>
/// Debian's Chromium driven by Playwright, one browser for the whole test run (each test opens its own context:
/// cookies and storage of its own). No browser is downloaded: <c>.ci/run</c> installs Debian's <c>chromium</c>.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    /// <summary>Where Debian installs it; the brief's one browser.</summary>
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ExecutablePath), $"{ExecutablePath} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does");
        _playwright = await Playwright.CreateAsync();
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ExecutablePath, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ChromiumCollection : ICollectionFixture<Chromium>
{
    public const string Name = "chromium";
}

/// <summary>Screenshots kept as test artifacts, beside the TRX files: artifacts/test-results/screenshots/NAME.png.</summary>
public static class Screenshots
{
    public static string Folder { get; } = Path.Combine(RepoPaths.Root, "artifacts", "test-results", "screenshots");

    public static async Task SaveAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Folder, name + ".png"), FullPage = true });
    }
}
