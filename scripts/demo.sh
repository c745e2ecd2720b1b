#!/usr/bin/env bash
# The package's main job on one machine: starts the local Batch API server on a free port, runs
#   openai-batch submit examples/requests.jsonl --endpoint /v1/chat/completions --wait
# against it, prints the results summary and the answers, and stops the server. The output file stays in
# build/demo-results/. Needs a build (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
results=build/demo-results
rm -rf "$results" && mkdir -p "$results"
log="$work/server.log"
build/tools/batch_server/openai-batch-server --state-dir "$work/state" --step-ms 300 --request-ms 100 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$log" && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$log")
[ -n "$url" ] || { echo "demo: the local server did not start:" >&2; cat "$log" >&2; exit 1; }

echo "$ openai-batch submit examples/requests.jsonl --endpoint /v1/chat/completions --wait   # against $url"
OPENAI_BASE_URL="$url" OPENAI_API_KEY="sk-local-demo" \
  build/tools/cli/openai-batch submit examples/requests.jsonl --endpoint /v1/chat/completions --wait -o "$results"
echo
echo "Answers (from the output file, matched by custom_id):"
python3 - "$results" <<'PY'
import glob, json, sys
for path in glob.glob(sys.argv[1] + "/*_output.jsonl"):
    for line in open(path, encoding="utf-8"):
        result = json.loads(line)
        print(f"  {result['custom_id']}: {result['response']['body']['choices'][0]['message']['content']}")
PY
