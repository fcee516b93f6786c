#!/usr/bin/env bash
# Walks through a gRPC service on the local platform: builds the example, deploys two revisions to staging,
# splits traffic 90/10 between them and makes unary and streaming calls through the service's listener,
# printing how many each revision answered.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
dm() { ../../deploymatrix --platform local "$@"; }

dm agent start
dm build echo --allow-dirty
dm deploy echo --env staging
first=$(dm status echo --env staging --output json | sed -n 's/.*"latest_ready_revision": *"\([^"]*\)".*/\1/p' | head -n 1)
dm deploy echo --env staging
dm traffic echo --env staging --to "$first=90,LATEST=10"
dm status echo --env staging
out/grpc-echo call http://127.0.0.1:18190 500
echo
echo "Stop everything with: ./deploymatrix --file examples/grpc-echo/deploymatrix.yaml agent stop"
