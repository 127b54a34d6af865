#!/usr/bin/env bash
# End-to-end tests of `cnnlab viz texture` and `cnnlab viz style`: tiny runs on the shipped samples
# (data/samples/) write their PNGs and report a falling loss; bad input (a missing file, an
# unknown layer, a non-positive size, a bad optimizer) exits 1 or 2 with a one-line message.
#   usage: viz_style_test.sh PATH/TO/cnnlab
set -u
CNNLAB=$(realpath "$1")
HERE=$(realpath "$(dirname "$0")")
SAMPLES=$(realpath "$HERE/../../data/samples")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
failures=0

# fail MESSAGE and expect STATUS PATTERN -- command... (tests/cli/expect.sh)
source "$HERE/expect.sh"

# A tiny random multi-scale net (3 scales of 16 filters) keeps each run well under a second.
TINY=(--scales 3 --filters 16 --kernel 3 --size 32 --threads 1)

# --- texture: PNGs, loss.csv and a falling loss ----------------------------------------------
"$CNNLAB" viz texture --texture "$SAMPLES/brick.png" "${TINY[@]}" --steps 20 --out tex \
  > tex.log 2>&1 || fail "viz texture failed: $(cat tex.log)"
for f in tex/texture.png tex/texture_compare.png tex/loss.csv; do
  [ -s "$f" ] || fail "viz texture did not write $f"
done
[ "$(od -A n -c -j 1 -N 3 tex/texture.png | tr -d ' ')" = "PNG" ] || fail "texture.png is no PNG"
# "texture loss: A -> B (Nx lower) ...": the loss fell at least 10x
awk '/^texture loss:/ { ok = ($3 > 10 * $5) } END { exit !ok }' tex.log ||
  fail "the texture loss did not fall 10x: $(grep 'texture loss' tex.log)"
head -1 tex/loss.csv | grep -q '^evaluation,loss$' || fail "loss.csv lacks its header"

# Adam and explicit weighted layers
"$CNNLAB" viz texture --texture "$SAMPLES/gravel.png" "${TINY[@]}" --steps 5 --optimizer adam \
  --layers scale0.2:2,scale2.2 --out adam > adam.log 2>&1 || fail "viz texture --optimizer adam failed: $(cat adam.log)"
grep -q "layers scale0.2:2.000000,scale2.2" adam.log || fail "the weighted layers are not echoed: $(cat adam.log)"

# --- style: PNGs and the parts of the loss ----------------------------------------------------
"$CNNLAB" viz style --content "$SAMPLES/chelsea.png" --style "$SAMPLES/gravel.png" "${TINY[@]}" \
  --steps 10 --tv-weight 0.1 --out sty > sty.log 2>&1 || fail "viz style failed: $(cat sty.log)"
for f in sty/style.png sty/style_compare.png sty/loss.csv; do
  [ -s "$f" ] || fail "viz style did not write $f"
done
grep -q "content layer scale1.2, 32x21 (WxH)" sty.log || fail "style does not keep the content's aspect: $(head -1 sty.log)"
grep -q "^style (sum of relative Gram errors): .* content (relative): 0 ->" sty.log ||
  fail "style does not report its parts (content starting at 0): $(cat sty.log)"
"$CNNLAB" viz style --content "$SAMPLES/coffee.png" --style "$SAMPLES/brick.png" "${TINY[@]}" \
  --steps 3 --init noise --optimizer adam --out noise > noise.log 2>&1 ||
  fail "viz style --init noise failed: $(cat noise.log)"

# --- bad input --------------------------------------------------------------------------------
expect 1 "cannot\|no such\|No such" -- "$CNNLAB" viz texture --texture missing.png "${TINY[@]}" --out x
expect 1 "unknown layer 'conv9' (layers: scale0, scale0.0, scale0.1, scale0.2, scale1" -- \
  "$CNNLAB" viz texture --texture "$SAMPLES/brick.png" "${TINY[@]}" --layers conv9 --out x
expect 1 "unknown layer 'nope' (layers: " -- "$CNNLAB" viz style --content "$SAMPLES/chelsea.png" \
  --style "$SAMPLES/brick.png" "${TINY[@]}" --content-layer nope --out x
expect 1 "cannot\|no such\|No such" -- "$CNNLAB" viz style --content "$SAMPLES/chelsea.png" \
  --style nothere.jpg "${TINY[@]}" --out x
expect 2 "\-\-size: expected >= 1, got 0" -- "$CNNLAB" viz texture --texture "$SAMPLES/brick.png" --size 0 --out x
expect 2 "\-\-size: expected >= 1, got -5" -- "$CNNLAB" viz style --content "$SAMPLES/chelsea.png" \
  --style "$SAMPLES/brick.png" --size -5 --out x
expect 2 "\-\-optimizer: expected lbfgs or adam, got 'sgd'" -- \
  "$CNNLAB" viz texture --texture "$SAMPLES/brick.png" "${TINY[@]}" --optimizer sgd --out x
expect 2 "\-\-init: expected content or noise, got 'zeros'" -- "$CNNLAB" viz style \
  --content "$SAMPLES/chelsea.png" --style "$SAMPLES/brick.png" "${TINY[@]}" --init zeros --out x
expect 2 "\-\-texture is required" -- "$CNNLAB" viz texture --out x
expect 2 "expected --out DIR" -- "$CNNLAB" viz texture --texture "$SAMPLES/brick.png" "${TINY[@]}"
expect 2 "unknown model 'vgg99'" -- "$CNNLAB" viz texture --texture "$SAMPLES/brick.png" --model vgg99 --out x

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all viz texture/style CLI tests passed"
