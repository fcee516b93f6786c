using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>The double's RPCs: each checked request's method, carried out on the double's resources.</summary>
public sealed partial class CloudRunDouble
{
    /// <summary>
    /// Carries out the RPC a checked request named: the answer to send, or Written when an error was sent already
    /// (a conflict, a refused argument, a fault the test asked for).
    /// </summary>
    private async Task<(JsonNode? Answer, bool Written)> AnswerAsync(HttpContext context, HttpRule? rule, string resource, JsonNode? body)
    {
        var request = context.Request;
        var path = request.Path.Value!;
        JsonNode? answer;
        switch (rule?.Rpc)
        {
            case "google.cloud.run.v2.Services.GetService":
                answer = _services.TryGetValue(resource, out var service) ? service.DeepClone() : null;
                break;
            case "google.cloud.run.v2.Services.UpdateService":
                if (Conflict(resource, body!.AsObject()) is { } conflict)
                {
                    await ErrorAsync(context, HttpStatusCode.Conflict, conflict.Status, conflict.Message);
                    return (null, true);
                }

                answer = Update(resource, body.AsObject(), out var invalid);
                if (invalid is not null)
                {
                    await ErrorAsync(context, HttpStatusCode.BadRequest, "INVALID_ARGUMENT", invalid);
                    return (null, true);
                }

                break;
            case "google.cloud.run.v2.Services.GetIamPolicy":
                answer = GetServicePolicy(resource[..resource.LastIndexOf(':')]);
                break;
            case "google.cloud.run.v2.Revisions.ListRevisions":
                var parent = resource[..resource.LastIndexOf("/revisions", StringComparison.Ordinal)];
                answer = _revisions.TryGetValue(parent, out var list)
                    ? new JsonObject { ["revisions"] = new JsonArray([.. list.Select(r => r.DeepClone())]) }
                    : null;
                break;
            case "google.longrunning.Operations.GetOperation":
                answer = Poll(resource);
                break;
            case "google.cloud.run.v2.Jobs.GetJob":
                answer = _jobs.TryGetValue(resource, out var job) ? job.DeepClone() : null;
                break;
            case "google.cloud.run.v2.Jobs.UpdateJob":
                if (Conflict(resource, body!.AsObject()) is { } stale)
                {
                    await ErrorAsync(context, HttpStatusCode.Conflict, stale.Status, stale.Message);
                    return (null, true);
                }

                answer = UpdateJob(resource, body!.AsObject());
                break;
            case "google.cloud.run.v2.Jobs.RunJob":
                answer = RunJob(resource[..resource.LastIndexOf(':')]);
                break;
            case "google.monitoring.v3.MetricService.ListTimeSeries":
                answer = TimeSeries(request, out var badQuery);
                if (badQuery is not null)
                {
                    await ErrorAsync(context, HttpStatusCode.BadRequest, "INVALID_ARGUMENT", badQuery);
                    return (null, true);
                }

                break;
            case "google.devtools.cloudbuild.v1.CloudBuild.CreateBuild":
                answer = CreateBuild(resource.Split('/')[1], body!.AsObject(), out var badBuild);
                if (badBuild is not null)
                {
                    await ErrorAsync(context, HttpStatusCode.BadRequest, "INVALID_ARGUMENT", badBuild);
                    return (null, true);
                }

                break;
            case "google.cloud.secretmanager.v1.SecretManagerService.GetSecret":
                answer = GetSecret(resource);
                break;
            case "google.cloud.secretmanager.v1.SecretManagerService.CreateSecret":
                answer = CreateSecret(resource[..resource.LastIndexOf("/secrets", StringComparison.Ordinal)], request.Query["secretId"].ToString(), body!.AsObject(), out var badSecret);
                if (badSecret is not null)
                {
                    await ErrorAsync(context, badSecret.Contains("exists", StringComparison.Ordinal) ? HttpStatusCode.Conflict : HttpStatusCode.BadRequest,
                        badSecret.Contains("exists", StringComparison.Ordinal) ? "ALREADY_EXISTS" : "INVALID_ARGUMENT", badSecret);
                    return (null, true);
                }

                break;
            case "google.cloud.secretmanager.v1.SecretManagerService.AddSecretVersion":
                answer = AddSecretVersion(resource[..resource.LastIndexOf(':')], body!.AsObject());
                break;
            case "google.cloud.secretmanager.v1.SecretManagerService.GetSecretVersion":
                answer = GetSecretVersion(resource);
                break;
            case "google.cloud.secretmanager.v1.SecretManagerService.GetIamPolicy":
                answer = GetSecretPolicy(resource[..resource.LastIndexOf(':')], int.TryParse(request.Query["options.requestedPolicyVersion"], out var version) ? version : 0);
                break;
            case "google.cloud.secretmanager.v1.SecretManagerService.SetIamPolicy" or "google.iam.v1.IAMPolicy.SetIamPolicy":
                answer = SetSecretPolicy(resource[..resource.LastIndexOf(':')], body!.AsObject(), out var policyRefused);
                if (policyRefused is { } no)
                {
                    await ErrorAsync(context, no.Status, no.Code, no.Message);
                    return (null, true);
                }

                break;
            case "google.cloud.run.v2.Executions.CancelExecution":
                answer = CancelExecution(resource[..resource.LastIndexOf(':')], out var notRunning);
                if (notRunning is not null)
                {
                    await ErrorAsync(context, HttpStatusCode.BadRequest, "FAILED_PRECONDITION", notRunning);
                    return (null, true);
                }

                break;
            case "google.logging.v2.LoggingServiceV2.ListLogEntries":
                if (await BuildLogEntriesFaultAsync(context, body?.AsObject()))
                {
                    return (null, true);
                }

                answer = ListLogEntries(body?.AsObject(), out var badList);
                if (badList is not null)
                {
                    await ErrorAsync(context, HttpStatusCode.BadRequest, "INVALID_ARGUMENT", badList);
                    return (null, true);
                }

                break;
            case "google.cloud.run.v2.Executions.GetExecution":
                answer = _executions.TryGetValue(resource, out var execution) ? execution.DeepClone() : null;
                break;
            default:
                if (!TryPreflight(rule?.Rpc, resource, body, out answer, out var badPreflight))
                {
                    await ErrorAsync(context, HttpStatusCode.NotFound, "NOT_FOUND", $"the double does not serve {request.Method} {path}");
                    return (null, true);
                }

                if (badPreflight is not null)
                {
                    await ErrorAsync(context, HttpStatusCode.BadRequest, "INVALID_ARGUMENT", badPreflight);
                    return (null, true);
                }

                break;
        }

        return (answer, false);
    }
}
