#!/usr/bin/env bash
# Runs the whole test suite and ends with one summary line: "N passed, N failed[, N skipped]".
# Extra arguments go to `dotnet test` (e.g. ./test.sh --filter FullyQualifiedName~Planner).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# A background job of a non-interactive shell starts with SIGINT ignored, and an ignored signal stays
# ignored in every child (POSIX), so the tests that stop processes with SIGINT would fail. Start again
# with SIGINT at its default (bash cannot reset a signal ignored on entry; perl can, and exec keeps it).
if [ $(( 0x$(awk '/^SigIgn:/ { print $2 }' /proc/self/status) & 2 )) -ne 0 ] && [ -z "${DEPLOYMATRIX_SIGINT_RESET:-}" ]; then
  DEPLOYMATRIX_SIGINT_RESET=1 exec perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' "$0" "$@"
fi

results="$root/artifacts/test-results"
rm -rf "$results"

# Build once, then run each test project with its own TRX file (same-second runs would otherwise
# share a generated file name and one result would be lost).
status=0
# The Cloud Run tests hold their HTTP double to Google's API definitions, fetched once with npm.
if ! "$root/scripts/fetch-google-protos.sh"; then
  echo "test.sh: could not fetch Google's API definitions with npm (see above), so no test ran" >&2
  echo "0 passed, 0 failed"
  exit 1
fi
if ! dotnet build "$root/DeployMatrix.slnx" --nologo -v q; then
  echo "test.sh: the build failed, so no test ran" >&2
  echo "0 passed, 0 failed"
  exit 1
fi
for project in "$root"/tests/*/*Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" --no-build --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" || status=1
done

passed=0 failed=0 skipped=0 files=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"

if [ "$files" -eq 0 ] || [ $((passed + failed)) -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
