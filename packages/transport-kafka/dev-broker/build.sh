#!/bin/sh
# Builds bin/mock-kafka from mock-kafka.c against the system librdkafka.
# Usage: ./build.sh [--force]   (skips the build when the binary is newer)
set -eu
cd "$(dirname "$0")"
out=bin/mock-kafka

if [ "${1:-}" != "--force" ] && [ -x "$out" ] && [ "$out" -nt mock-kafka.c ]; then
  exit 0
fi

# Check for the mock header the program actually needs; without pkg-config
# (not a dependency of librdkafka-dev) fall back to the default paths.
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists rdkafka; then
  incdir=$(pkg-config --variable=includedir rdkafka)
  flags=$(pkg-config --cflags --libs rdkafka)
else
  incdir=/usr/include
  flags=-lrdkafka
fi
if [ ! -f "$incdir/librdkafka/rdkafka_mock.h" ]; then
  echo "librdkafka-dev is not installed: run apt-get install -y librdkafka-dev" >&2
  exit 1
fi
if ! command -v cc >/dev/null 2>&1; then
  echo "no C compiler (cc) found: run apt-get install -y gcc" >&2
  exit 1
fi

mkdir -p bin
# Build to a temp name so a parallel or failed build never leaves a broken binary.
cc -O2 -Wall -o "$out.tmp.$$" mock-kafka.c $flags
mv -f "$out.tmp.$$" "$out"
echo "built $(pwd)/$out" >&2
