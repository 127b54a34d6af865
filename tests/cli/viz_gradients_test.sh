#!/usr/bin/env bash
# End-to-end tests of `cnnlab viz filters | maps | saliency | guided | deconvnet | gradcam` on a
# LeNet-5 trained for one epoch on a Fashion-MNIST subset: each writes its PNGs and records its
# figure in the run's report; every bad input (unknown layer, class out of range, Grad-CAM on a
# Linear layer, images whose channel count the model cannot take) exits 1 with a one-line message.
#   usage: viz_gradients_test.sh PATH/TO/cnnlab
set -u
CNNLAB=$(realpath "$1")
HERE=$(realpath "$(dirname "$0")")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
failures=0

# expect.sh, is_png and the LeNet-5 run in ./run (tests/cli/viz_setup.sh)
source "$HERE/viz_setup.sh"

# --- the happy path --------------------------------------------------------------------------
IMGS=(--test-index 0 --test-index 1)
"$CNNLAB" viz saliency run "${IMGS[@]}" > sal.log 2>&1 || fail "saliency failed: $(cat sal.log)"
for f in test0_saliency.png test0_saliency_overlay.png test1_saliency.png saliency.png; do
  is_png "run/viz/saliency/$f" || fail "saliency did not write $f"
done
grep -q "test0 (label .*): class [0-9] .*(predicted" sal.log || fail "saliency does not say the class: $(cat sal.log)"
grep -q '"method": "saliency"' run/viz/index.json || fail "saliency is not in the run's report index"
"$CNNLAB" viz saliency run "${IMGS[@]}" --class Trouser > cls.log 2>&1 || fail "saliency --class Trouser failed: $(cat cls.log)"
grep -q "class 1 Trouser" cls.log || fail "--class Trouser did not explain class 1: $(cat cls.log)"
"$CNNLAB" viz guided run "${IMGS[@]}" > guided.log 2>&1 || fail "guided failed: $(cat guided.log)"
is_png run/viz/guided/test1_guided.png || fail "guided did not write test1_guided.png"
"$CNNLAB" viz deconvnet run "${IMGS[@]}" --class 3 > deconv.log 2>&1 || fail "deconvnet failed: $(cat deconv.log)"
is_png run/viz/deconvnet/deconvnet.png || fail "deconvnet did not write deconvnet.png"
"$CNNLAB" viz gradcam run "${IMGS[@]}" > cam.log 2>&1 || fail "gradcam failed: $(cat cam.log)"
grep -q "layer features.4, output 10x10 upsampled to 28x28" cam.log || fail "gradcam's default layer: $(cat cam.log)"
is_png run/viz/gradcam/test0_gradcam_overlay.png || fail "gradcam did not write the overlay"
"$CNNLAB" viz gradcam run --test-index 2 --layer features.0 --out elsewhere > cam0.log 2>&1 ||
  fail "gradcam --layer features.0 --out failed: $(cat cam0.log)"
is_png elsewhere/test2_gradcam.png || fail "gradcam --out did not write there"
"$CNNLAB" viz filters run > filters.log 2>&1 || fail "filters failed: $(cat filters.log)"
is_png run/viz/filters/filters_features.0.png || fail "filters did not write filters_features.0.png"
"$CNNLAB" viz filters run --layer features.3 --scale symmetric > /dev/null 2>&1 || fail "filters features.3 failed"
is_png run/viz/filters/filters_features.3.png || fail "filters did not write filters_features.3.png"
"$CNNLAB" viz maps run --test-index 0 --layer features.4 > maps.log 2>&1 || fail "maps failed: $(cat maps.log)"
grep -q "output \[16, 10, 10\]" maps.log || fail "maps does not give the layer's output: $(cat maps.log)"
"$CNNLAB" viz maps run --test-index 0 --layer classifier.4 --per-map > /dev/null 2>&1 || fail "maps of a Linear layer failed"
grep -q '"method": "gradcam"' run/viz/index.json && grep -q '"method": "filters"' run/viz/index.json ||
  fail "gradcam / filters are not in the run's report index"
# An RGB image of another size: converted to the model's gray 28x28 input.
"$CNNLAB" viz saliency run --image run/viz/gradcam/test0_gradcam_overlay.png > rgb.log 2>&1 ||
  fail "saliency of an RGB 112x112 image failed: $(cat rgb.log)"
# --model without a run: random weights, --out required.
"$CNNLAB" viz guided --model lenet5 --image run/viz/saliency/test0_saliency.png --out rnd > /dev/null 2>&1 ||
  fail "guided with --model failed"

# --- bad input -------------------------------------------------------------------------------
expect 1 "unknown layer 'nope' (layers: features, features.0, features.1" -- \
  "$CNNLAB" viz gradcam run --test-index 0 --layer nope
expect 1 "unknown layer 'conv9' (layers: features, features.0" -- \
  "$CNNLAB" viz maps run --test-index 0 --layer conv9
expect 1 "expected a conv layer (conv layers: features.0, features.3), got 'classifier.0' (Linear)" -- \
  "$CNNLAB" viz filters run --layer classifier.0
expect 1 "expected a class index in \[0, 10), got 10" -- \
  "$CNNLAB" viz saliency run --test-index 0 --class 10
expect 1 "expected a class index in \[0, 10) or one of T-shirt/top" -- \
  "$CNNLAB" viz guided run --test-index 0 --class Giraffe
expect 1 "expected a layer with a 4-D (N, C, H, W) output such as a conv layer (conv layers: features.0, features.3), got 'classifier.0' (Linear)" -- \
  "$CNNLAB" viz gradcam run --test-index 0 --layer classifier.0
expect 1 "expected test images of \[3, 32, 32\] (the model's input), got \[1, 28, 28\]" -- \
  "$CNNLAB" viz saliency --model resnet20 --input 3x32x32 --data "$DATA" --test-index 0 --out x
expect 1 "expected a test index in \[0, 10000), got 10000" -- "$CNNLAB" viz deconvnet run --test-index 10000
expect 2 "expected an image" -- "$CNNLAB" viz saliency run
expect 2 "--alpha: expected a value in \[0, 1\]" -- "$CNNLAB" viz gradcam run --test-index 0 --alpha 2

[ "$failures" -eq 0 ] && echo "viz_gradients_test: all passed"
exit $(( failures > 0 ))
