#!/bin/sh
# Builds main.cpp into ./app without CMake, from the installed package's pkg-config file
# (run with PKG_CONFIG_PATH=<prefix>/lib/pkgconfig after `cmake --install build --prefix <prefix>`).
set -e
${CXX:-g++} -o app main.cpp $(pkg-config --cflags --libs OpenAIBatch)
