#!/usr/bin/env bash
# End-to-end tests of `cnnlab forward`: LeNet-5 with PyTorch's weights on a NumPy batch gives
# PyTorch's logits (fixtures from tests/parity/gen/make_npy_fixtures.py; no Python at test time),
# in any batch size; and every bad input exits non-zero with a one-line message.
#   usage: forward_test.sh PATH/TO/cnnlab
set -u
CNNLAB=$(realpath "$1")
HERE=$(realpath "$(dirname "$0")")
FIX=$(realpath "$(dirname "$0")/../parity/fixtures/npy")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
failures=0

# fail MESSAGE and expect STATUS PATTERN -- command... (tests/cli/expect.sh)
source "$HERE/expect.sh"

# npy_floats FILE: the float32 elements of a version 1.0 '<f4' .npy file, one per line
npy_floats() {
  local header_len
  header_len=$(od -A n -t u2 -j 8 -N 2 "$1" | tr -d ' ')
  od -A n -v -t f4 -j $((10 + header_len)) "$1" | tr -s ' ' '\n' | sed '/^$/d'
}

# close A.npy B.npy: same element count, every |a - b| <= 1e-4 * (1 + |b|)
close() {
  paste <(npy_floats "$1") <(npy_floats "$2") | awk -v a="$1" -v b="$2" '
    NF != 2 { print "element counts differ"; bad = 1; exit }
    { d = $1 - $2; if (d < 0) d = -d; m = $2 < 0 ? -$2 : $2; if (d > 1e-4 * (1 + m)) {
        print a " vs " b ": element " NR ": " $1 " vs " $2; bad = 1 } ; n++ }
    END { if (!bad && n == 0) { print "no elements"; bad = 1 }; exit bad }'
}

byte() { printf "\\$(printf '%03o' "$1")"; }  # one raw byte, 0..255
# make_npy DESCR SHAPE ITEMSIZE: a version 1.0 .npy of zeros, as np.save pads it (to 64 bytes)
make_npy() {
  local h="{'descr': '$1', 'fortran_order': False, 'shape': $2, }" n
  while [ $(( (10 + ${#h} + 1) % 64 )) -ne 0 ]; do h="$h "; done
  n=1
  for d in $(echo "$2" | tr -d '() ' | tr ',' ' '); do n=$(( n * d )); done
  printf '\x93NUMPY\x01\x00'; byte $(( (${#h} + 1) % 256 )); byte $(( (${#h} + 1) / 256 ))
  printf '%s\n' "$h"
  head -c $(( n * $3 )) /dev/zero
}

W=(--model lenet5 --weights "$FIX/lenet5_weights.safetensors" --input "$FIX/lenet5_input.npy")

# --- PyTorch's logits, whatever the batch size -----------------------------------------------
for bs in 32 3 1; do
  "$CNNLAB" forward "${W[@]}" --output "y$bs.npy" --batch-size "$bs" > fwd.log 2>&1 ||
    fail "forward --batch-size $bs failed: $(cat fwd.log)"
  close "y$bs.npy" "$FIX/lenet5_logits.npy" || fail "forward --batch-size $bs differs from PyTorch"
done
grep -q "classes: 10, from 'classifier.4.weight' in --weights" fwd.log ||
  fail "forward does not say where the classes came from: $(cat fwd.log)"
[ "$(od -A n -c -j 1 -N 5 y3.npy | tr -d ' ')" = "NUMPY" ] || fail "y3.npy is not a .npy file"
grep -q "'shape': (4, 10)" y3.npy || fail "y3.npy does not hold (4, 10) logits"
"$CNNLAB" forward --model lenet5 --input "$FIX/lenet5_input.npy" --output random.npy --threads 1 \
  > /dev/null 2>&1 || fail "forward with random weights failed"

# '|u1' images are read as float32 0..255: all-zero bytes give the logits of all-zero floats
make_npy '|u1' "(2, 1, 28, 28)" 1 > zeros_u1.npy
make_npy '<f8' "(2, 1, 28, 28)" 8 > zeros_f8.npy
"$CNNLAB" forward "${W[@]:0:4}" --input zeros_u1.npy --output zu.npy > /dev/null 2>&1 || fail "forward on '|u1' failed"
"$CNNLAB" forward "${W[@]:0:4}" --input zeros_f8.npy --output zf.npy > /dev/null 2>&1 || fail "forward on '<f8' failed"
close zu.npy zf.npy || fail "'|u1' and '<f8' zeros give different logits"
close zu.npy y1.npy > /dev/null && fail "close() cannot tell different logits apart"

# --- bad input -------------------------------------------------------------------------------
expect 1 "f4.npy': expected an array (N, C, H, W) with N >= 1, got shape \[2, 3\]" -- \
  "$CNNLAB" forward --model lenet5 --input "$FIX/f4.npy" --output x.npy
expect 1 "expected C order (fortran_order False), got fortran_order True" -- \
  "$CNNLAB" forward --model lenet5 --input "$FIX/f4_fortran.npy" --output x.npy
head -c 1000 "$FIX/lenet5_input.npy" > cut.npy
expect 1 "cut.npy': expected 12544 bytes of data for shape \[4, 1, 28, 28\] ('<f4'), got 872 (truncated)" -- \
  "$CNNLAB" forward --model lenet5 --input cut.npy --output x.npy
expect 1 "'nothere.npy'" -- "$CNNLAB" forward --model lenet5 --input nothere.npy --output x.npy
make_npy '<f4' "(2, 3, 64, 64)" 4 > rgb.npy
expect 1 "lenet5: expected input (C, 28, 28), got \[3, 64, 64\]" -- \
  "$CNNLAB" forward --model lenet5 --input rgb.npy --output x.npy
make_npy '<f4' "(1, 1, 1, 28, 28)" 4 > rank5.npy
expect 1 "rank5.npy': expected an array (N, C, H, W) with N >= 1, got shape \[1, 1, 1, 28, 28\]" -- \
  "$CNNLAB" forward --model lenet5 --input rank5.npy --output x.npy
make_npy '<i8' "(1, 1, 28, 28)" 8 > ints.npy
expect 1 "ints.npy': expected float32, float64 or uint8 data ('<f4', '<f8', '|u1'), got '<i8'" -- \
  "$CNNLAB" forward --model lenet5 --input ints.npy --output x.npy
make_npy '>f4' "(1, 1, 28, 28)" 4 > big.npy
expect 1 "got '>f4' (big-endian" -- "$CNNLAB" forward --model lenet5 --input big.npy --output x.npy
expect 1 "does not fit lenet5 for input \[1, 28, 28\] and 5 classes: .*classifier.4.bias (expected \[5\], got \[10\])" -- \
  "$CNNLAB" forward "${W[@]}" --num-classes 5 --output x.npy
expect 1 "missing keys: bn1.bias (expected \[64\]), .*, and 117 more; unexpected keys: classifier.0.bias (got \[120\])" -- \
  "$CNNLAB" forward --model resnet18 --weights "$FIX/lenet5_weights.safetensors" --input "$FIX/lenet5_input.npy" --output x.npy
expect 1 "has dtype BF16\|is too short\|declares a header" -- \
  "$CNNLAB" forward --model lenet5 --weights "$FIX/f4.npy" --input "$FIX/lenet5_input.npy" --output x.npy
expect 1 "cannot create '/nonexistent/y.npy" -- "$CNNLAB" forward "${W[@]}" --output /nonexistent/y.npy
expect 2 "unknown model 'lenet6'" -- "$CNNLAB" forward --model lenet6 --input "$FIX/lenet5_input.npy" --output x.npy
expect 2 "--batch-size: expected >= 1, got 0" -- "$CNNLAB" forward "${W[@]}" --output x.npy --batch-size 0
expect 2 "--input is required" -- "$CNNLAB" forward --model lenet5 --output x.npy
[ ! -e x.npy ] || fail "a failed forward left x.npy behind"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all forward CLI tests passed"
