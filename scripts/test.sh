#!/usr/bin/env bash
# Builds (if needed) and runs every test: GoogleTest (models, and the API against a loopback server and
# against Prism), the generator's tests and drift check, the newest-spec build, and the installed-package
# consumer. Run scripts/setup.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure -j "$(nproc)"
