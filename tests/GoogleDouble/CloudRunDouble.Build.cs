using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace DeployMatrix.Tests.GoogleDouble;

/// <summary>
/// Cloud Build v1 and the Cloud Storage uploads it reads its source from: buckets, media uploads, builds
/// that check their source exists and their substitutions match the config (as Cloud Build does), run
/// for a few polls (writing their log, <see cref="StartBuildLog"/>) and end in SUCCESS with the pushed
/// images' digests, or FAILURE when told to.
/// </summary>
public sealed partial class CloudRunDouble
{
    private static readonly Lazy<StorageDefinition> Storage = new(StorageDefinition.Load);
    private readonly ConcurrentDictionary<string, JsonObject> _buckets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _builds = new(StringComparer.Ordinal);

    /// <summary>Uploaded objects by <c>bucket/name</c>.</summary>
    public ConcurrentDictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, a build whose JSON this returns a reason for fails at its build step with that reason.</summary>
    public Func<JsonObject, string?>? BuildFailure { get; set; }

    /// <summary>Every build created, as Cloud Build holds it (status, substitutions, source, results).</summary>
    public IReadOnlyCollection<JsonObject> Builds => [.. _builds.Values];

    public void AddBucket(string name) => _buckets[name] = new JsonObject { ["name"] = name, ["location"] = "US" };

    private async Task StorageAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value!;
        Calls.Enqueue($"{request.Method} {path}{request.QueryString}");
        if (request.Headers.ContentEncoding == "gzip")
        {
            // Google's client libraries compress request bodies (GZipEnabled); Cloud Storage accepts that.
            request.Body = new System.IO.Compression.GZipStream(request.Body, System.IO.Compression.CompressionMode.Decompress);
        }

        if (request.Method == "PUT" && request.Query.ContainsKey("upload_id"))
        {
            // A resumable upload's data goes to its session URI, which the discovery document does not list.
            await ResumableDataAsync(context);
            return;
        }

        var method = Storage.Value.Match(request.Method, path);
        if (method is null)
        {
            Problems.Enqueue($"{request.Method} {path}: no such method and path in the storage definition");
            await ErrorAsync(context, HttpStatusCode.NotFound, "NOT_FOUND", $"the double does not serve {request.Method} {path}");
            return;
        }

        foreach (var key in request.Query.Keys.Where(k => !Storage.Value.HasParameter(method, k)))
        {
            Problems.Enqueue($"{request.Method} {path}: query parameter '{key}' is not a parameter of {method.Name}");
        }

        if (request.Headers.Authorization != $"Bearer {Token}")
        {
            await ErrorAsync(context, HttpStatusCode.Unauthorized, "UNAUTHENTICATED", "Invalid Credentials");
            return;
        }

        var segments = path.Split('/');
        JsonObject? answer;
        switch (method.Name, method.Media)
        {
            case ("Buckets$Get", _):
                answer = _buckets.TryGetValue(segments[^1], out var bucket) ? bucket.DeepClone().AsObject() : null;
                break;
            case ("Buckets$Insert", _):
                var body = (await JsonNode.ParseAsync(request.Body))!.AsObject();
                CheckStorage("Schema$Bucket", body, $"{request.Method} {path} body");
                var name = body["name"]!.GetValue<string>();
                AddBucket(name);
                answer = _buckets[name].DeepClone().AsObject();
                break;
            case ("Objects$Insert", true) when request.Query["uploadType"] == "resumable":
                if (!_buckets.ContainsKey(segments[^2]))
                {
                    answer = null;
                    break;
                }

                var metadata = (await JsonNode.ParseAsync(request.Body))!.AsObject();
                CheckStorage("Schema$Object", metadata, $"{request.Method} {path} body");
                var session = Guid.NewGuid().ToString("N");
                _uploads[session] = (segments[^2], metadata["name"]?.GetValue<string>() ?? request.Query["name"].ToString(), metadata["contentType"]?.GetValue<string>() ?? request.Headers["X-Upload-Content-Type"].ToString());
                context.Response.Headers.Location = $"{BaseUri.ToString().TrimEnd('/')}{path}?uploadType=resumable&upload_id={session}";
                return;
            case ("Objects$Insert", true) when request.Query["uploadType"] == "media":
                var target = segments[^2];
                if (!_buckets.ContainsKey(target))
                {
                    answer = null;
                    break;
                }

                using (var content = new MemoryStream())
                {
                    await request.Body.CopyToAsync(content);
                    var objectName = request.Query["name"].ToString();
                    Objects[$"{target}/{objectName}"] = content.ToArray();
                    answer = new JsonObject
                    {
                        ["kind"] = "storage#object",
                        ["bucket"] = target,
                        ["name"] = objectName,
                        ["generation"] = "1764158400000000",
                        ["size"] = content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["contentType"] = request.ContentType,
                    };
                }

                break;
            case ("Objects$Get", false):
                await GetObjectAsync(context, Uri.UnescapeDataString(segments[^3]), Uri.UnescapeDataString(segments[^1]));
                return;
            default:
                await ErrorAsync(context, HttpStatusCode.BadRequest, "INVALID_ARGUMENT", $"the double does not serve {method.Name}{(method.Media ? " (media)" : "")} this way");
                return;
        }

        if (answer is null)
        {
            await ErrorAsync(context, HttpStatusCode.NotFound, "NOT_FOUND", "The specified bucket does not exist.");
            return;
        }

        CheckStorage(method.Response, answer, $"answer to {request.Method} {path}");
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    private readonly ConcurrentDictionary<string, (string Bucket, string Name, string ContentType)> _uploads = new(StringComparer.Ordinal);

    /// <summary>Uploads whose bytes arrive changed (a flipped byte on the way), to show the checksum catching it.</summary>
    public bool CorruptUploads { get; set; }

    /// <summary>
    /// The data of a resumable upload, in one request (Content-Range <c>bytes 0-N/TOTAL</c>). The object's
    /// CRC32C and MD5 are computed from what arrived; an <c>X-Goog-Hash</c> the client sent must match
    /// them, or the upload is refused and no object is created (Cloud Storage's "Perform resumable
    /// uploads" and "Data validation and change detection").
    /// </summary>
    private async Task ResumableDataAsync(HttpContext context)
    {
        if (!_uploads.TryRemove(context.Request.Query["upload_id"].ToString(), out var upload))
        {
            await ErrorAsync(context, HttpStatusCode.NotFound, "NOT_FOUND", "No such upload session.");
            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var content = buffer.ToArray();
        if (CorruptUploads && content.Length > 0)
        {
            content[0] ^= 0xff;
        }

        var crc = Convert.ToBase64String(Crc32C(content));
#pragma warning disable CA5351 // Cloud Storage reports md5Hash as part of its object resource; this is its protocol, not security.
        var md5 = Convert.ToBase64String(MD5.HashData(content));
#pragma warning restore CA5351
        var sent = context.Request.Headers["X-Goog-Hash"].SelectMany(h => h!.Split(',')).Select(h => h.Trim().Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        ChecksumsSent.Enqueue(string.Join(",", sent.Keys.Order()));
        if ((sent.TryGetValue("crc32c", out var sentCrc) && sentCrc != crc) || (sent.TryGetValue("md5", out var sentMd5) && sentMd5 != md5))
        {
            await ErrorAsync(context, HttpStatusCode.BadRequest, "INVALID_ARGUMENT", $"Provided CRC32C \"{sentCrc}\" doesn't match calculated CRC32C \"{crc}\".");
            return;
        }

        Objects[$"{upload.Bucket}/{upload.Name}"] = content;
        var stored = new JsonObject
        {
            ["kind"] = "storage#object",
            ["bucket"] = upload.Bucket,
            ["name"] = upload.Name,
            ["generation"] = "1764158400000000",
            ["size"] = content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["contentType"] = upload.ContentType,
            ["crc32c"] = crc,
            ["md5Hash"] = md5,
        };
        CheckStorage("Schema$Object", stored, "answer to a resumable upload");
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(stored.ToJsonString());
    }

    /// <summary>The checksums each resumable upload carried in X-Goog-Hash (names, comma-joined).</summary>
    public ConcurrentQueue<string> ChecksumsSent { get; } = new();

    /// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), big-endian as Cloud Storage encodes it.</summary>
    private static byte[] Crc32C(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        crc ^= 0xFFFFFFFFu;
        return [(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc];
    }

    private void CheckStorage(string schema, JsonObject json, string where)
    {
        using var document = JsonDocument.Parse(json.ToJsonString());
        foreach (var problem in Storage.Value.Check(schema, document.RootElement))
        {
            Problems.Enqueue($"{where}: {problem}");
        }
    }

    /// <summary>builds.create: the build is queued, then works for a few polls, then ends.</summary>
    private JsonObject? CreateBuild(string project, JsonObject build, out string? invalid)
    {
        invalid = null;
        var source = build["source"]?["storageSource"];
        var objectKey = $"{source?["bucket"]}/{source?["object"]}";
        if (source is null || !Objects.TryGetValue(objectKey, out var archive))
        {
            invalid = $"could not find source object gs://{objectKey}";
            return null;
        }

        var substitutions = build["substitutions"] as JsonObject ?? [];
        var template = (build["steps"]?.ToJsonString() ?? "") + (build["images"]?.ToJsonString() ?? "");
        var loose = build["options"]?["substitutionOption"]?.GetValue<string>() == "ALLOW_LOOSE";
        if (!loose && substitutions.Select(p => p.Key).FirstOrDefault(k => !template.Contains($"${k}", StringComparison.Ordinal) && !template.Contains($"${{{k}}}", StringComparison.Ordinal)) is { } unused)
        {
            invalid = $"invalid value for 'build.substitutions': key in the template \"{unused}\" is not matched in the template";
            return null;
        }

        if (!loose && UserVariable().Matches(template).Select(m => m.Groups[1].Value).FirstOrDefault(v => !substitutions.ContainsKey(v)) is { } undefined)
        {
            invalid = $"key \"{undefined}\" in the template is not a valid built-in substitution and was not given";
            return null;
        }

        var id = Guid.NewGuid().ToString();
        var values = substitutions.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal);
        values["PROJECT_ID"] = project;
        values["BUILD_ID"] = id;
        var stored = build.DeepClone().AsObject();
        stored["id"] = id;
        stored["projectId"] = project;
        stored["status"] = "QUEUED";
        stored["createTime"] = "2026-11-26T12:00:00Z";
        stored["logUrl"] = $"https://console.cloud.google.com/cloud-build/builds/{id}?project={ProjectNumber}";
        stored["images"] = new JsonArray([.. (build["images"] as JsonArray ?? []).Select(i => (JsonNode?)Substitute(i!.GetValue<string>(), values))]);
        StartBuildLog(stored, build, values);
        _builds[id] = stored;

        var name = $"operations/build/{project}/{Convert.ToBase64String(Encoding.UTF8.GetBytes(id))}";
        var metadata = new JsonObject { ["@type"] = "type.googleapis.com/google.devtools.cloudbuild.v1.BuildOperationMetadata", ["build"] = stored.DeepClone() };
        var created = new JsonObject { ["name"] = name, ["metadata"] = metadata };
        JsonObject Finish(JsonObject done)
        {
            var failure = BuildFailure?.Invoke(stored);
            stored["status"] = failure is null ? "SUCCESS" : "FAILURE";
            EndBuildLog(stored, failure);
            if (failure is null)
            {
                stored["results"] = new JsonObject
                {
                    ["images"] = new JsonArray([.. stored["images"]!.AsArray().Select(i =>
                    {
                        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData([.. Encoding.UTF8.GetBytes(i!.GetValue<string>()), .. archive]));
                        Push(i.GetValue<string>(), digest); // the build pushed it: the tag names this digest now
                        return (JsonNode?)new JsonObject { ["name"] = i.GetValue<string>(), ["digest"] = digest };
                    })]),
                };
                done["response"] = Packed(stored, "google.devtools.cloudbuild.v1.Build");
            }
            else
            {
                stored["statusDetail"] = "Build failed; check build logs for details";
                stored["failureInfo"] = new JsonObject { ["type"] = "USER_BUILD_STEP", ["detail"] = failure };
                done["error"] = new JsonObject { ["code"] = 2, ["message"] = "Build failed; check build logs for details" };
            }

            done["metadata"]!["build"] = stored.DeepClone();
            return done;
        }

        if (PollsPerOperation <= 0)
        {
            created["done"] = true;
            return Finish(created);
        }

        var working = created.DeepClone().AsObject();
        working["metadata"]!["build"]!["status"] = "WORKING";
        _operations[name] = (working, PollsPerOperation, Finish);
        return created;
    }

    private static string Substitute(string text, Dictionary<string, string> values) =>
        AnyVariable().Replace(text, m => values.TryGetValue(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, out var v) ? v : m.Value);

    [GeneratedRegex(@"\$\{?(_[A-Z0-9_]+)")]
    private static partial Regex UserVariable();

    [GeneratedRegex(@"\$\{([A-Z0-9_]+)\}|\$([A-Z0-9_]+)")]
    private static partial Regex AnyVariable();
}
