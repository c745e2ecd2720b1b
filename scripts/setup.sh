#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds everything, and runs the example:
# installs the Debian packages the build needs (only those missing) and the pinned npm test tools
# (Prism, from package-lock.json), configures and builds with CMake, then runs scripts/demo.sh: the
# local Batch API server and `openai-batch submit examples/requests.jsonl --wait` against it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake make g++ pkg-config python3 python3-jinja2 python3-yaml
          libcpprest-dev libboost-dev libssl-dev libsimdjson-dev libgtest-dev libgmock-dev libbenchmark-dev
          clang libclang-rt-14-dev clang-format clang-tidy)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Prism, the mock server the API tests run against, exactly as package-lock.json pins it.
npm ci --no-audit --no-fund --loglevel=error

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"

echo
# The main job, on this machine: a local Batch API server, and openai-batch driving a whole batch.
bash scripts/demo.sh
