#!/usr/bin/env bash
# End-to-end tests of `cnnlab viz features` on a LeNet-5 trained for one epoch on a Fashion-MNIST
# subset: PCA and t-SNE of 60 test images write their scatter plots, CSV and .npy files and the
# run's report entries, print the 5-NN accuracies; every bad input (perplexity >= count, a count
# below 2 or above the test set's size, an unknown layer) exits 1 with a one-line message.
#   usage: viz_features_test.sh PATH/TO/cnnlab
set -u
CNNLAB=$(realpath "$1")
HERE=$(realpath "$(dirname "$0")")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
failures=0

# expect.sh, is_png and the LeNet-5 run in ./run (tests/cli/viz_setup.sh)
source "$HERE/viz_setup.sh"

# --- the happy path: both methods into RUN/viz/features --------------------------------------
F=(--count 60 --perplexity 10 --iterations 300 --threads 1)
"$CNNLAB" viz features run "${F[@]}" > both.log 2>&1 || fail "features failed: $(cat both.log)"
for f in pca tsne; do
  is_png "run/viz/features/$f.png" || fail "features did not write $f.png"
  [ "$(head -1 "run/viz/features/$f.csv")" = "x,y,label" ] || fail "$f.csv lacks its header"
  [ "$(wc -l < "run/viz/features/$f.csv")" -eq 61 ] || fail "$f.csv does not hold 60 points"
  grep -q "'shape': (60, 2)" "run/viz/features/$f.npy" || fail "$f.npy is not (60, 2)"
done
grep -q "'shape': (60, 84)" run/viz/features/features.npy || fail "features.npy is not (60, 84)"
grep -q "'shape': (60,)" run/viz/features/labels.npy || fail "labels.npy is not (60,)"
grep -q "at the input of 'classifier.4': 84 dimensions" both.log ||
  fail "features does not name the layer: $(cat both.log)"
grep -q "5-NN accuracy (leave-one-out) of the raw features: 0\.[0-9]*" both.log ||
  fail "no raw-feature accuracy: $(cat both.log)"
grep -q "PCA: explained variance ratio .*5-NN accuracy" both.log || fail "no PCA line: $(cat both.log)"
grep -q "t-SNE (exact, perplexity 10, 300 iterations.*KL [0-9.]*; 5-NN accuracy" both.log ||
  fail "no t-SNE line: $(cat both.log)"
[ "$(grep -c '"method": "features"' run/viz/index.json)" -eq 2 ] ||
  fail "the two figures are not in the run's report index"

# The same seed gives the same embedding; Barnes-Hut and another layer work too.
"$CNNLAB" viz features run "${F[@]}" --method tsne --out again > again.log 2>&1 ||
  fail "features --out again failed: $(cat again.log)"
cmp -s again/tsne.csv run/viz/features/tsne.csv || fail "t-SNE is not deterministic for a seed"
[ ! -e again/pca.png ] || fail "--method tsne wrote a PCA plot"
"$CNNLAB" viz features run "${F[@]}" --method tsne --tsne-method barnes-hut --init pca \
  --layer features.5 --out bh > bh.log 2>&1 || fail "Barnes-Hut on features.5 failed: $(cat bh.log)"
grep -q "at the output of 'features.5': 400 dimensions" bh.log || fail "--layer: $(cat bh.log)"
grep -q "t-SNE (Barnes-Hut" bh.log || fail "--tsne-method barnes-hut: $(cat bh.log)"
# A model without a run: --data and --out required.
"$CNNLAB" viz features --model lenet5 --data "$DATA" --count 20 --perplexity 5 --iterations 50 \
  --method both --out model > model.log 2>&1 || fail "features --model failed: $(cat model.log)"
is_png model/tsne.png || fail "features --model did not write tsne.png"

# --- bad input ----------------------------------------------------------------------------------
expect 1 "expected 0 < --perplexity < --count = 60, got 60" -- \
  "$CNNLAB" viz features run --count 60 --perplexity 60
expect 1 "expected --count in \[2, 10000\] (the test set's size), got 1" -- \
  "$CNNLAB" viz features run --count 1
expect 1 "expected --count in \[2, 10000\] (the test set's size), got 10001" -- \
  "$CNNLAB" viz features run --count 10001
expect 1 "unknown layer 'fc9' (layers: features, features.0," -- \
  "$CNNLAB" viz features run --count 20 --perplexity 5 --layer fc9
expect 1 "expected --data SPEC" -- "$CNNLAB" viz features --model lenet5 --out x
expect 2 "--method" -- "$CNNLAB" viz features run --method umap
expect 2 "--iterations: expected >= 1, got 0" -- "$CNNLAB" viz features run --iterations 0

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all viz features CLI tests passed"
