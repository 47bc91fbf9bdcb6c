#!/usr/bin/env bash
# Spark GPU discovery script (spark.worker.resource.gpu.discoveryScript /
# spark.executor.resource.gpu.discoveryScript): prints the node's GPU ids as Spark expects,
# {"name": "gpu", "addresses": ["0", "1", ...]}. Uses nvidia-smi; honours CUDA_VISIBLE_DEVICES.
set -euo pipefail
if [[ -n "${CUDA_VISIBLE_DEVICES:-}" ]]; then
  ids="${CUDA_VISIBLE_DEVICES}"
else
  ids="$(nvidia-smi --query-gpu=index --format=csv,noheader | paste -sd, -)"
fi
printf '{"name": "gpu", "addresses": [%s]}\n' "$(echo "$ids" | sed -E 's/[[:space:]]//g; s/([^,]+)/"\1"/g')"
