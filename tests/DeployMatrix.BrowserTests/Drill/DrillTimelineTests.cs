using DeployMatrix.BrowserTests.Support;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.BrowserTests.Drill;

/// <summary>A real drill's timeline.svg as Chromium draws it: step-shaped traffic, labelled stages, nothing overlapping.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class DrillTimelineTests(Chromium chromium) : ExampleTest
{
    protected override ExampleStage Stage => ExampleStage.Agent;

    private const string Lane = "openagents-control-service";

    [Fact]
    public async Task ADrillsTimeline_ShowsTrafficAsSteps_AndLabelledStages_InChromium()
    {
        Ok(Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1"));
        Ok(Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1", "--no-traffic"));
        using var outDir = new TempDir();
        Ok(Example.Cli("drill", "canary", Lane, "--env", "staging", "--steps", "5,50", "--dwell", "300ms", "--out", outDir.Path));

        await using var context = await chromium.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 800, Height = 600 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(Path.Combine(outDir.Path, "timeline.svg")).AbsoluteUri);
        // The chart element itself: a full-page screenshot of an SVG document never settles in Chromium.
        Directory.CreateDirectory(Screenshots.Folder);
        var png = Path.Combine(Screenshots.Folder, "drill-timeline.png");
        await page.Locator("svg").ScreenshotAsync(new() { Path = png });
        Assert.True(new FileInfo(png).Length > 10_000, "the screenshot is (nearly) empty");

        // Each revision's traffic as the browser parsed it: only horizontal holds and vertical steps, at least
        // status-pre's split, 5%, 50% and the rollback.
        var paths = await page.EvalOnSelectorAllAsync<string[][]>("path.dm-traffic",
            "ps => ps.map(p => [p.getAttribute('data-revision'), p.getAttribute('d'), getComputedStyle(p).strokeLinejoin])");
        Assert.Equal(2, paths.Length);
        foreach (var path in paths)
        {
            var points = path[1].TrimStart('M').Split(" L").Select(p => p.Split(',')).ToList();
            Assert.True(points.Count >= 8, path[1]);
            Assert.All(points.Zip(points.Skip(1)), s => Assert.True(s.First[0] == s.Second[0] || s.First[1] == s.Second[1], $"slanted segment in {path[0]}: {path[1]}"));
            Assert.Equal("miter", path[2]);
        }

        // The stage labels, and their boxes as laid out with the browser's own font: none overlaps another.
        var labels = await page.EvalOnSelectorAllAsync<Label[]>("text.dm-stage-label",
            "ts => ts.map(t => { const b = t.getBBox(); return { Text: [...t.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join(''), X: b.x, Y: b.y, Width: b.width, Height: b.height }; })");
        Assert.Equal(["5% PASS", "50% PASS", "rollback PASS"], labels.Select(l => l.Text));
        Assert.All(labels, a => Assert.All(labels.Where(b => b != a), b => Assert.False(a.Overlaps(b), $"'{a.Text}' overlaps '{b.Text}'")));
        var legend = await page.EvalOnSelectorAllAsync<Label[]>(".dm-legend-entry text",
            "ts => ts.map(t => { const b = t.getBBox(); return { Text: t.textContent, X: b.x, Y: b.y, Width: b.width, Height: b.height }; })");
        Assert.Equal(2, legend.Length);
        Assert.False(legend[0].Overlaps(legend[1]), $"legend entries overlap: {legend[0]} and {legend[1]}");
    }

    /// <summary>A text's box as the browser laid it out (Playwright fills it: settable, with a parameterless constructor).</summary>
    public sealed class Label
    {
        public string Text { get; set; } = "";

        public double X { get; set; }

        public double Y { get; set; }

        public double Width { get; set; }

        public double Height { get; set; }

        public bool Overlaps(Label o) => X < o.X + o.Width && o.X < X + Width && Y < o.Y + o.Height && o.Y < Y + Height;

        public override string ToString() => $"'{Text}' at {X:0.#},{Y:0.#} {Width:0.#}×{Height:0.#}";
    }

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
