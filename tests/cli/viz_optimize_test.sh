#!/usr/bin/env bash
# End-to-end tests of `cnnlab viz class | dream | invert` on a LeNet-5 run trained here for one
# short epoch on part of Fashion-MNIST: each writes its PNGs and CSVs and records its figures in
# the run's report; bad input (class out of range, unknown layer, non-positive steps, ...) exits
# 1 or 2 with a one-line message.
#   usage: viz_optimize_test.sh PATH/TO/cnnlab
set -u
CNNLAB=$(realpath "$1")
HERE=$(realpath "$(dirname "$0")")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
failures=0

# expect.sh, is_png and the LeNet-5 run in ./run (tests/cli/viz_setup.sh)
source "$HERE/viz_setup.sh"

# --- class visualization -----------------------------------------------------------------------
"$CNNLAB" viz class run --steps 20 --threads 1 > class.log 2>&1 || fail "viz class failed: $(cat class.log)"
[ -s run/viz/class/class_visualization.png ] || fail "viz class wrote no class_visualization.png"
[ "$(wc -l < run/viz/class/class_probability.csv)" -eq 22 ] ||
  fail "class_probability.csv should hold a header and 21 steps"
grep -q "^class 9 Ankle boot *p = " class.log || fail "viz class does not print class 9: $(cat class.log)"
grep -q '"method": "class"' run/viz/index.json || fail "viz class did not record its figure"
"$CNNLAB" viz class run --class dress --steps 5 --l2 0.01 --blur-every 2 --blur-sigma 0.5 \
  --clip-norm-pct 10 --clip-contrib-pct 10 --jitter 1 --init-std 0.1 --clamp --seed 3 \
  --out single > single.log 2>&1 || fail "viz class --class dress failed: $(cat single.log)"
grep -q "^class 3 Dress" single.log || fail "viz class --class dress: $(cat single.log)"
[ -s single/class_visualization.png ] || fail "viz class --out single wrote no PNG"

# --- DeepDream ---------------------------------------------------------------------------------
"$CNNLAB" viz dream run --layer features.3 --test-index 0 --steps 2 --threads 1 > dream.log 2>&1 ||
  fail "viz dream failed: $(cat dream.log)"
[ -s run/viz/dream/dream_test0.png ] || fail "viz dream wrote no dream_test0.png"
grep -q "octaves 14x14 20x20 28x28" dream.log || fail "viz dream octaves: $(cat dream.log)"

# --- feature inversion -------------------------------------------------------------------------
"$CNNLAB" viz invert run --layers features.1,classifier.4 --test-index 0 --steps 20 --threads 1 \
  > invert.log 2>&1 || fail "viz invert failed: $(cat invert.log)"
[ -s run/viz/invert/invert_test0.png ] || fail "viz invert wrote no invert_test0.png"
[ "$(head -1 run/viz/invert/invert_test0_loss.csv)" = "step,features.1,classifier.4" ] ||
  fail "invert_test0_loss.csv header"
grep -q "layer classifier.4 .*relative feature error" invert.log || fail "viz invert: $(cat invert.log)"

# --- bad input ---------------------------------------------------------------------------------
expect 1 "expected a class index in \[0, 10), got 10" -- "$CNNLAB" viz class run --class 10
expect 1 "expected a class index in \[0, 10) or one of" -- "$CNNLAB" viz class run --class Jacket
expect 2 "--steps: expected >= 1, got 0" -- "$CNNLAB" viz class run --steps 0
expect 2 "--lr: expected > 0" -- "$CNNLAB" viz class run --lr -1
expect 2 "--clip-norm-pct: expected a percentile in \[0, 100\]" -- "$CNNLAB" viz class run --clip-norm-pct 150
expect 1 "unknown layer 'conv9' (layers: features, features.0," -- \
  "$CNNLAB" viz dream run --layer conv9 --test-index 0
expect 2 "expected an image" -- "$CNNLAB" viz dream run --layer features.3
expect 2 "--steps: expected >= 1, got -2" -- "$CNNLAB" viz dream run --layer features.3 --test-index 0 --steps -2
expect 1 "the octave of .* is too small" -- \
  "$CNNLAB" viz dream run --layer classifier.4 --test-index 0 --steps 1
expect 1 "unknown layer 'nope' (layers: " -- "$CNNLAB" viz invert run --layers features.1,nope --test-index 0
expect 1 "expected a test index in \[0, 10000), got 10000" -- \
  "$CNNLAB" viz invert run --layers features.1 --test-index 10000
expect 2 "--steps: expected >= 1, got 0" -- "$CNNLAB" viz invert run --layers features.1 --test-index 0 --steps 0

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "viz class/dream/invert: all passed"
