using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeployMatrix.Web.History;

/// <summary><c>/history</c>: the audit log, newest first, filtered by the query string (<c>lane</c>, <c>env</c>, <c>actor</c>, <c>action</c>, <c>page</c>).</summary>
internal static class HistoryEndpoints
{
    public static void Map(WebApplication app) =>
        app.MapGet("/history", (DashboardSource source, string? lane, string? env, string? actor, string? action, int? page) =>
            new RazorComponentResult<HistoryPage>(new { View = HistoryQuery.Read(source, new HistoryFilter(lane, env, actor, action, page ?? 1)) }));
}
