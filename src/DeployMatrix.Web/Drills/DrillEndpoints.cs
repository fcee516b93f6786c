using DeployMatrix.Engine.Drill;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeployMatrix.Web.Drills;

/// <summary>
/// The drills' pages: <c>/drills</c> (every report in <c>.deploymatrix/drills/</c>, newest first), <c>/drills/{name}</c>
/// (one report with its timeline), and its files: <c>/drills/{name}/timeline.svg</c> as an image, the rest as plain text.
/// </summary>
internal static class DrillEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/drills", (DashboardSource source) =>
        {
            using var ws = source.Open();
            return new RazorComponentResult<DrillsPage>(new { Reports = DrillReports.List(ws.Paths.Drills) });
        });
        app.MapGet("/drills/{name}", (DashboardSource source, string name) =>
        {
            using var ws = source.Open();
            return DrillReports.TryRead(ws.Paths.Drills, name) is { } report
                ? (IResult)new RazorComponentResult<DrillPage>(new { Report = report })
                : Results.NotFound();
        });
        app.MapGet("/drills/{name}/{file}", (HttpContext context, DashboardSource source, string name, string file) => File(context, source, name, logs: false, file));
        app.MapGet("/drills/{name}/logs/{file}", (HttpContext context, DashboardSource source, string name, string file) => File(context, source, name, logs: true, file));
    }

    private static IResult File(HttpContext context, DashboardSource source, string name, bool logs, string file)
    {
        using var ws = source.Open();
        if (DrillReports.TryRead(ws.Paths.Drills, name) is null)
        {
            return Results.NotFound();
        }

        var folder = Path.Combine(ws.Paths.Drills, name);
        if (!logs && file == DrillReportView.Timeline)
        {
            // Shown as an image; opened on its own, it may draw and nothing else (no script, no fetch).
            context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
            return DashboardSource.FileIn(folder, file) is { } svg ? Results.File(svg, "image/svg+xml") : Results.NotFound();
        }

        return PlainFiles.Text(folder, logs, file);
    }
}
