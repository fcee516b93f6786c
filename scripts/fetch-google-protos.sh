#!/usr/bin/env bash
# Fetches Google's official API definitions (protos.json from the npm client packages) into
# artifacts/google-protos/. The Cloud Run tests check every request the platform sends, and every
# answer their HTTP double gives, against these — so the double is held to Google's API, not to a guess.
# Cloud Storage has no protos.json (its client speaks the JSON API), so its generated TypeScript
# definition (@googleapis/storage: paths, parameters, Schema$Object) is fetched as storage.ts.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts/google-protos"
declare -A packages=(
  [run]="@google-cloud/run@3.3.0"
  [cloudbuild]="@google-cloud/cloudbuild@5.6.0"
  [monitoring]="@google-cloud/monitoring@5.4.0"
  [secretmanager]="@google-cloud/secret-manager@6.3.0"
  [artifactregistry]="@google-cloud/artifact-registry@5.1.0"
  [logging]="@google-cloud/logging@11.2.3"
)

missing=0
for name in "${!packages[@]}"; do
  [ -s "$out/$name.json" ] || missing=1
done
[ -s "$out/storage.ts" ] || missing=1
[ -s "$out/run-v1.ts" ] || missing=1
[ "$missing" = 1 ] || exit 0

mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for name in "${!packages[@]}"; do
  [ -s "$out/$name.json" ] && continue
  (cd "$work" && npm pack --silent "${packages[$name]}" > "$name.tgz.name")
  tar -xzf "$work/$(cat "$work/$name.tgz.name")" -C "$work" package/build/protos/protos.json
  mv "$work/package/build/protos/protos.json" "$out/$name.json"
  echo "fetch-google-protos: ${packages[$name]} → artifacts/google-protos/$name.json"
done
if [ ! -s "$out/storage.ts" ]; then
  (cd "$work" && npm pack --silent "@googleapis/storage@21.2.0" > storage.tgz.name)
  tar -xzf "$work/$(cat "$work/storage.tgz.name")" -C "$work" package/v1.ts
  mv "$work/package/v1.ts" "$out/storage.ts"
  echo "fetch-google-protos: @googleapis/storage@21.2.0 → artifacts/google-protos/storage.ts"
fi
# Cloud Run's v1 API (domain mappings live only there) has no protos.json either: its generated client's v1.ts.
if [ ! -s "$out/run-v1.ts" ]; then
  (cd "$work" && npm pack --silent "@googleapis/run@34.0.0" > run-v1.tgz.name)
  tar -xzf "$work/$(cat "$work/run-v1.tgz.name")" -C "$work" package/v1.ts
  mv "$work/package/v1.ts" "$out/run-v1.ts"
  echo "fetch-google-protos: @googleapis/run@34.0.0 → artifacts/google-protos/run-v1.ts"
fi
