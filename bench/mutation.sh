#!/usr/bin/env bash
# Mutation testing with Stryker.NET: how many of DeployMatrix.Core's and DeployMatrix.Engine's mutants
# their own unit tests kill (a test that cannot fail when the code is wrong shows up as a survivor).
# Reports go to artifacts/mutation/{core,engine}/; the summary per folder, and the survivors of the
# folders the goals name, are printed at the end. Takes tens of minutes on two cores.
#
#   bench/mutation.sh            # both projects
#   bench/mutation.sh core       # one of them
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet tool restore >/dev/null

run() { # name project test-project
  local out="$root/artifacts/mutation/$1"
  rm -rf "$out"
  (cd "tests/$3" && dotnet stryker --project "$2.csproj" --reporter Json --reporter Html --reporter Progress \
    --concurrency 2 --skip-version-check --output "$out")
}

targets=("${@:-core engine}")
for target in ${targets[@]}; do
  case "$target" in
    core) run core DeployMatrix.Core DeployMatrix.Core.Tests ;;
    engine) run engine DeployMatrix.Engine DeployMatrix.Engine.Tests ;;
    *) echo "mutation.sh: unknown target '$target'; use core or engine" >&2; exit 2 ;;
  esac
done

reports=()
for target in ${targets[@]}; do
  reports+=("$root/artifacts/mutation/$target/reports/mutation-report.json")
done
dotnet run --project bench/MutationReport -c Release -- "${reports[@]}" --survivors Analysis,Planning,Rollout
