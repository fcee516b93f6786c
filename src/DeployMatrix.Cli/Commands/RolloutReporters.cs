using System.Globalization;
using DeployMatrix.Core.Analysis;
using DeployMatrix.Engine.Rollout;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DeployMatrix.Cli.Commands;

/// <summary>Rollout lines for logs, pipes and CI: one line per event, nothing redrawn.</summary>
internal sealed class PlainRolloutReporter(TextWriter output) : IRolloutReporter
{
    public void Stage(int percent, string message) => output.WriteLine($"  [{percent,3}%] {message}");
}

/// <summary>
/// The live view of a rollout at a terminal: the stages with the current one marked, the window's
/// requests, error rate and p95 per revision, and the time left; the stage log below it.
/// </summary>
internal sealed class LiveRolloutReporter : IRolloutReporter
{
    private const int LogLines = 12;
    private readonly List<string> _log = [];
    private readonly Lock _gate = new();
    private RolloutProgress? _progress;
    private LiveDisplayContext? _live;

    /// <summary>Runs <paramref name="work"/> under a live display that this reporter redraws.</summary>
    public async Task<T> RunAsync<T>(Func<IRolloutReporter, Task<T>> work)
    {
        var result = default(T)!;
        await AnsiConsole.Live(Render()).AutoClear(false).StartAsync(async context =>
        {
            _live = context;
            result = await work(this);
            Redraw();
        });
        return result;
    }

    public void Stage(int percent, string message)
    {
        lock (_gate)
        {
            _log.Add(string.Create(CultureInfo.InvariantCulture, $"[{percent,3}%] {message}"));
            if (_log.Count > LogLines)
            {
                _log.RemoveAt(0);
            }
        }

        Redraw();
    }

    public void Progress(RolloutProgress progress)
    {
        lock (_gate)
        {
            _progress = progress;
        }

        Redraw();
    }

    private void Redraw()
    {
        if (_live is { } live)
        {
            live.UpdateTarget(Render());
            live.Refresh();
        }
    }

    private Rows Render()
    {
        lock (_gate)
        {
            var rows = new List<IRenderable>();
            if (_progress is { } p)
            {
                var stages = string.Join("  ", p.Stages.Select((s, i) => i == p.StageIndex ? $"[bold yellow]▶ {s}%[/]" : i < p.StageIndex ? $"[green]{s}%[/]" : $"[grey]{s}%[/]"));
                var left = p.TimeLeft is { } t ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, t.TotalSeconds):0}s left in the window") : "";
                rows.Add(new Markup($"rollout #{p.Id}: {stages}   {left}"));
                var table = new Table().AddColumns("revision", "weight", "requests", "5xx rate", "p95 ms");
                AddRow(table, p.Canary + " (canary)", p.Percent, p.CanarySample);
                AddRow(table, p.Stable + " (stable)", 100 - p.Percent, p.StableSample);
                rows.Add(table);
            }

            rows.AddRange(_log.Select(line => new Text(line)));
            return new Rows(rows);
        }
    }

    private static void AddRow(Table table, string name, int weight, RevisionSample? sample) => table.AddRow(
        Markup.Escape(name),
        string.Create(CultureInfo.InvariantCulture, $"{weight}%"),
        sample?.Requests.ToString(CultureInfo.InvariantCulture) ?? "-",
        sample is { Requests: > 0 } s ? string.Create(CultureInfo.InvariantCulture, $"{100.0 * s.Failed / s.Requests:0.00}%") : "-",
        sample is { Requests: > 0 } q ? string.Create(CultureInfo.InvariantCulture, $"{q.P95Ms:0.0}") : "-");
}
