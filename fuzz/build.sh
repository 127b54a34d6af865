#!/usr/bin/env bash
# Builds the libFuzzer targets fuzz/{npy,safetensors}_fuzz with clang++-14 (not part of the default
# g++ build): the readers (src/io/npy.cpp, src/io/safetensors.cpp) are compiled with libFuzzer's
# coverage, AddressSanitizer and UBSan; the rest of cnnlab comes from the release build's
# libcnnlab.a (built here, under the shared build lock), linked with the same libraries as the CLI.
#   usage: fuzz/build.sh            -> build/fuzz/npy_fuzz, build/fuzz/safetensors_fuzz
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${CNNLAB_BUILD:-$ROOT/build/release}
OUT=$ROOT/build/fuzz
CXX=${CXX_FUZZ:-clang++-14}
mkdir -p "$OUT"
flock /tmp/cnnlab-build.lock cmake --build "$BUILD" -j2 --target cnnlab cnnlab_cli > /dev/null
# the CLI's link line after "-o cnnlab": rpath, libcnnlab.a (relative to $BUILD) and its libraries
LINK=$(sed -n 's/.* -o cnnlab //p' "$BUILD/CMakeFiles/cnnlab_cli.dir/link.txt")
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -I"$ROOT/include" -I"$ROOT/src")
for target in npy safetensors; do
  (cd "$BUILD" && $CXX "${FLAGS[@]}" "$ROOT/fuzz/${target}_fuzz.cpp" "$ROOT/src/io/npy.cpp" \
     "$ROOT/src/io/safetensors.cpp" -o "$OUT/${target}_fuzz" $LINK)
  echo "built $OUT/${target}_fuzz"
done
