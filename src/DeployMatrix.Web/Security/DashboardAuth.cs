using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Web.Security;

/// <summary>
/// Every request needs the token: as <c>Authorization: Bearer TOKEN</c> (scripts), or the session cookie a browser
/// gets by opening the URL printed at start once (<c>/?token=TOKEN</c>, then redirected to the same page without it,
/// so the token leaves the address bar and the history). Requests that change something must also come from the
/// dashboard's own pages: a browser's <c>Sec-Fetch-Site</c> and <c>Origin</c> must say same-origin (the Fetch
/// Metadata and Origin checks OWASP's CSRF cheat sheet recommends), on top of the form's antiforgery token and the
/// cookie's <c>SameSite=Strict</c>.
/// </summary>
internal static class DashboardAuth
{
    /// <summary>The session cookie's name; HttpOnly, SameSite=Strict, path /.</summary>
    public const string Cookie = "deploymatrix_dashboard";

    public static async Task HandleAsync(HttpContext context, DashboardToken token, RequestDelegate next)
    {
        var request = context.Request;
        if (request.Query.TryGetValue("token", out var fromQuery) && HttpMethods.IsGet(request.Method))
        {
            if (!token.Accepts(fromQuery.ToString()))
            {
                await RefuseAsync(context);
                return;
            }

            context.Response.Cookies.Append(Cookie, fromQuery.ToString(), new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Path = "/",
                IsEssential = true,
            });
            var rest = QueryString.Create(request.Query.Where(q => q.Key != "token"));
            context.Response.Redirect(request.PathBase + request.Path + rest);
            return;
        }

        var header = request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : request.Cookies[Cookie];
        if (!token.Accepts(presented))
        {
            await RefuseAsync(context);
            return;
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && CrossSite(request) is { } why)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync($"403: refused a cross-site request ({why}); act from the dashboard's own pages\n", context.RequestAborted);
            return;
        }

        await next(context);
    }

    /// <summary>Why a state-changing request did not come from the dashboard's own pages, or null when it did (or came from no browser).</summary>
    internal static string? CrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none"))
        {
            return $"Sec-Fetch-Site: {site}";
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            return "Origin is not this dashboard";
        }

        return null;
    }

    private static async Task RefuseAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(
            "401: the dashboard needs its token: open the URL 'deploymatrix dashboard' printed, or send 'Authorization: Bearer TOKEN' (the token is in .deploymatrix/dashboard.json)\n",
            context.RequestAborted);
    }
}
