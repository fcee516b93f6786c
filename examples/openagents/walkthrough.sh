#!/usr/bin/env bash
# Walks through the seed's release on this machine with the local platform: builds the example services,
# deploys the runtime (with its mandatory migration) and the control service to staging, runs the
# release gate, deploys to production — the runtime as upstream does, taking its traffic as it is created
# and migrated after (traffic: direct), the control service with none — moves the control service to 100%,
# and prints the status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
dm() { ../../deploymatrix --platform local "$@"; }

dm agent start
for lane in runtime openagents-control-service; do
  dm build "$lane" --allow-dirty
done
for lane in runtime openagents-control-service; do
  dm deploy "$lane" --env staging
done
# Production takes only a tag that passed the staging → production gate.
dm gate --from staging --to production
for lane in runtime openagents-control-service; do
  dm deploy "$lane" --env production
done
# The control service goes out by rollout (traffic: rollout); this walk-through moves it at once.
dm traffic openagents-control-service --env production --to LATEST=100
dm status
echo
echo "Try: curl -s http://127.0.0.1:18080/api/v1/control/status"
echo "Stop everything with: ./deploymatrix --file examples/openagents/deploymatrix.yaml agent stop"
