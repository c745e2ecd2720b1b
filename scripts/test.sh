#!/usr/bin/env bash
# Builds (if needed) and runs every test, twice:
#  1. build/: GoogleTest (models, the API against a loopback server and against Prism, the workflow, the
#     local server), the programs end to end, the generator's tests and drift check, the newest-spec
#     build, the clang-format check of every C++ file, clang-tidy over our sources, the package consumers,
#     the benchmark smoke run and a short pass of every fuzzer.
#  2. build-sanitize/: the same package and tests built with AddressSanitizer and
#     UndefinedBehaviorSanitizer (LeakSanitizer on). It runs every test of this package's C++ code; it
#     leaves out what runs none (the generator's Python tests; the docs, format and clang-tidy checks),
#     the benchmark smoke run, the fuzz pass (sanitized already), the examples (a few lines each, run
#     in stage 1), and the consumers that build their own plain copy (add_subdirectory, FetchContent)
#     or link without sanitizer flags (pkg-config), server.crash_consistency (the server killed about
#     sixty times; its request handling runs sanitized in HostileClientsTest and the fuzz pass) and
#     tools.job_crash (a 200,000-request job killed five times; JobTest runs the same code sanitized).
# Run scripts/setup.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure -j "$(nproc)"

cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DOPENAI_BATCH_SANITIZE=ON -DOPENAI_BATCH_BUILD_BENCH=OFF \
  -DOPENAI_BATCH_BUILD_EXAMPLES=OFF
cmake --build build-sanitize -j "$(nproc)"
ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)" \
  -E '^(generator|docs|format|lint|bench|fuzz)\.|^package\.(add_subdirectory|fetchcontent|pkg_config)_|^server\.crash_consistency$|^tools\.job_crash$'
