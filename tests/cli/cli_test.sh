#!/usr/bin/env bash
# End-to-end tests of the cnnlab command line on real Fashion-MNIST (small subsets, fast models):
# train, resume equivalence, eval, predict, summary, report, bench, export, and every bad-input
# path of issue 3 (exit status, a one-line message naming the file or argument, earlier files
# left intact).
#   usage: cli_test.sh PATH/TO/cnnlab
set -u
CNNLAB=$(realpath "$1")
HERE=$(realpath "$(dirname "$0")")
DATA=/usr/share/datasets/fashion-mnist
WORK=$(mktemp -d)
trap 'umount "$WORK/small_disk" 2>/dev/null; chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
failures=0
SMALL=(--data "$DATA" --train-limit 512 --test-limit 256 --batch-size 64 --progress none)

# fail MESSAGE and expect STATUS PATTERN -- command... (tests/cli/expect.sh)
source "$HERE/expect.sh"

[ -d "$DATA" ] || { echo "Fashion-MNIST missing: run tools/setup.sh"; exit 1; }

# --- the happy path --------------------------------------------------------------------------
"$CNNLAB" train --model mlp --hidden 64 --epochs 2 --augment-crop 2 --augment-flip "${SMALL[@]}" --out full > train.log 2>&1 ||
  fail "train failed: $(cat train.log)"
for f in config.json metrics.jsonl model.safetensors checkpoint.safetensors eval.json report.html; do
  [ -s "full/$f" ] || fail "run directory lacks $f"
done
[ "$(wc -l < full/metrics.jsonl)" -eq 2 ] || fail "metrics.jsonl should have 2 lines"
grep -q '"seed": 0' full/config.json || fail "config.json lacks the seed"
grep -q "report: full/report.html" train.log || fail "train does not say where the report is"

# resume: 1 epoch, then --resume to 2 epochs == 2 epochs straight (same weights, same metrics)
"$CNNLAB" train --model mlp --hidden 64 --epochs 1 --augment-crop 2 --augment-flip "${SMALL[@]}" --out split > /dev/null 2>&1 ||
  fail "train (1 epoch) failed"
"$CNNLAB" train --resume split --epochs 2 --progress none > resume.log 2>&1 || fail "resume failed: $(cat resume.log)"
grep -q "resuming 'split' after epoch 1 of 2" resume.log || fail "resume does not say where it starts"
cmp -s full/model.safetensors split/model.safetensors || fail "resumed weights differ from an uninterrupted run"
strip_time() { sed -E 's/"(seconds|images_per_second)": ?[0-9.e+-]+//g' "$1"; }
[ "$(strip_time full/metrics.jsonl)" = "$(strip_time split/metrics.jsonl)" ] ||
  fail "resumed metrics differ: $(cat split/metrics.jsonl)"

# eval, predict, summary, report
"$CNNLAB" eval full > eval.log 2>&1 || fail "eval failed: $(cat eval.log)"
grep -q "accuracy" eval.log && grep -q "confusion matrix" eval.log || fail "eval output: $(cat eval.log)"
"$CNNLAB" eval full --threads 1 > eval1.log 2>&1 || fail "eval --threads 1 failed: $(cat eval1.log)"
grep -q "accuracy" eval1.log || fail "eval --threads 1 output: $(cat eval1.log)"
png=$(ls full/misclassified/*.png | head -1)
"$CNNLAB" predict full "$png" --top-k 2 > predict.log 2>&1 || fail "predict failed: $(cat predict.log)"
[ "$(grep -c '%' predict.log)" -eq 2 ] || fail "predict should print 2 classes: $(cat predict.log)"
"$CNNLAB" summary --model lenet5 --input 1x28x28 > summary.log 2>&1 || fail "summary failed"
grep -q "(28 - 5 + 2\*2)/1 + 1 = 28" summary.log || fail "summary lacks the conv rule: $(cat summary.log)"
grep -q "total parameters: 61,706" summary.log || fail "summary lacks LeNet-5's 61,706 parameters"
rm full/report.html
"$CNNLAB" report full > /dev/null 2>&1 && [ -s full/report.html ] || fail "report did not rebuild report.html"

# image folders: DIR/{train,test}/<class>/*.png (here the PNGs the first run wrote)
mkdir -p imgs/train/bag imgs/train/shoe imgs/test/bag imgs/test/shoe
for f in full/misclassified/00[0-4].png; do cp "$f" imgs/train/bag/; cp "$f" imgs/test/shoe/; done
for f in full/misclassified/01[0-4].png; do cp "$f" imgs/train/shoe/; cp "$f" imgs/test/bag/; done
"$CNNLAB" train --model softmax --data imgs --epochs 1 --batch-size 4 --out imgrun --progress none > img.log 2>&1 ||
  fail "training on image folders failed: $(cat img.log)"
grep -q '"class_names": \[' imgrun/config.json && grep -q '"bag"' imgrun/config.json ||
  fail "image-folder class names missing from config.json"

# --- bad input -------------------------------------------------------------------------------
expect 2 "unknown command 'trian'" -- "$CNNLAB" trian
expect 2 "usage error" -- "$CNNLAB" train --no-such-flag --out x
expect 2 "unknown model 'resnet19'" -- "$CNNLAB" train --model resnet19 --out x "${SMALL[@]}"
expect 2 "expected --out DIR" -- "$CNNLAB" train "${SMALL[@]}"
expect 1 "/nonexistent/data" -- "$CNNLAB" train --model softmax --data /nonexistent/data --out x
mkdir bad && zcat "$DATA/train-images-idx3-ubyte.gz" | head -c 100000 > bad/train-images-idx3-ubyte
cp "$DATA"/train-labels-idx1-ubyte.gz "$DATA"/t10k-* bad/
expect 1 "bad/train-images-idx3-ubyte' is truncated" -- "$CNNLAB" train --model softmax --data bad --out x --progress none
echo "not an image" > note.png
expect 1 "note.png" -- "$CNNLAB" predict full note.png
expect 1 "already holds a run" -- "$CNNLAB" train --model mlp "${SMALL[@]}" --out full
touch afile
expect 1 "afile/run" -- "$CNNLAB" train --model softmax "${SMALL[@]}" --out afile/run
expect 1 "no_run/config.json" -- "$CNNLAB" eval no_run
expect 2 "--threads: expected >= 0, got -1" -- "$CNNLAB" eval full --threads -1

# a checkpoint of another model: nothing in the run is changed
"$CNNLAB" train --model softmax --epochs 1 "${SMALL[@]}" --out other > /dev/null 2>&1 || fail "train softmax"
cp other/checkpoint.safetensors split/checkpoint.safetensors
before=$(md5sum split/model.safetensors split/report.html split/metrics.jsonl split/config.json)
expect 1 "checkpoint.safetensors' is a checkpoint of model 'softmax' but the run trains 'mlp'" -- \
  "$CNNLAB" train --resume split --epochs 3 --progress none
[ "$before" = "$(md5sum split/model.safetensors split/report.html split/metrics.jsonl split/config.json)" ] ||
  fail "a failed resume changed the run's files"

# resume keeps its settings: other flags are refused, and it cannot go back in epochs
expect 2 "--lr cannot be combined with --resume" -- "$CNNLAB" train --resume full --lr 5
expect 1 "has finished 2 epochs; expected --epochs >= 2, got 1" -- "$CNNLAB" train --resume full --epochs 1 --progress none
expect 2 "unknown model 'nope'" -- "$CNNLAB" summary --model nope
"$CNNLAB" summary --model resnet18 --input 3x64x64 --variant small > variant.log 2>&1 ||
  fail "summary --variant small failed: $(cat variant.log)"
grep -q "^conv1 .*kernel_size=(3, 3)" variant.log || fail "--variant small kept the 7x7 stem"
expect 2 "--variant: tiny not in {auto,small,full}" -- "$CNNLAB" summary --model resnet18 --variant tiny
grep -q '"variant": "auto"' full/config.json || fail "config.json lacks the variant"
expect 2 "--epochs: expected >= 1, got 0" -- "$CNNLAB" train --epochs 0 --out x "${SMALL[@]}"

# evaluating on data with another number of classes: an IDX folder with 20 classes
mkdir fake20
byte() { printf "\\$(printf '%03o' "$1")"; }  # one raw byte, 0..255
idx_images() {  # $1 images of 28x28 zeros
  printf '\0\0\10\3\0\0\0'; byte "$1"; printf '\0\0\0\34\0\0\0\34'
  head -c $(( $1 * 784 )) /dev/zero
}
idx_labels() {  # $1 labels 0, 1, ..., 19, 0, ...
  printf '\0\0\10\1\0\0\0'; byte "$1"
  for i in $(seq 0 $(( $1 - 1 ))); do byte $(( i % 20 )); done
}
idx_images 40 > fake20/train-images-idx3-ubyte; idx_labels 40 > fake20/train-labels-idx1-ubyte
idx_images 40 > fake20/t10k-images-idx3-ubyte; idx_labels 40 > fake20/t10k-labels-idx1-ubyte
expect 2 "'fake20' has 20 classes but the model of 'full' has 10" -- "$CNNLAB" eval full --data fake20

# a last step that leaves non-finite weights behind a finite loss is not saved as a checkpoint
expect 1 "the model diverged in epoch 1" -- \
  "$CNNLAB" train --model softmax --data "$DATA" --train-limit 64 --test-limit 64 --batch-size 64 --lr 2e38 --out diverged --progress none
[ ! -e diverged/checkpoint.safetensors ] || fail "a diverged model was saved as a checkpoint"

# a diverging loss stops with the epoch and step, and the previous epoch's checkpoint survives
sed -i -E 's/"lr": [0-9.e+-]+/"lr": 1e38/' other/config.json
cp other/checkpoint.safetensors ckpt_before
expect 1 "the loss is .* at epoch 2, step [0-9]* of 8" -- "$CNNLAB" train --resume other --epochs 2 --progress none
cmp -s ckpt_before other/checkpoint.safetensors || fail "the NaN stop changed the last good checkpoint"

# a full disk (a small tmpfs; needs root and mount, so skipped where they are missing): the resume
# stops with an error naming the file, and the last checkpoint still loads
"$CNNLAB" train --model softmax --epochs 1 "${SMALL[@]}" --out tofill > /dev/null 2>&1 || fail "train tofill"
mkdir small_disk
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=$(( $(du -sk tofill | cut -f1) + 40 ))k tmpfs small_disk 2>/dev/null; then
  cp -r tofill small_disk/run
  cp tofill/checkpoint.safetensors ckpt_full_before
  expect 1 "small_disk/run/.*failed (disk full?)" -- "$CNNLAB" train --resume small_disk/run --epochs 2 --progress none
  cmp -s ckpt_full_before small_disk/run/checkpoint.safetensors || fail "a full disk damaged the checkpoint"
  "$CNNLAB" eval small_disk/run > /dev/null 2>&1 || fail "the run on the full disk no longer loads"
  umount small_disk
else
  echo "skipped the full-disk case (needs root and tmpfs mounts)"
fi

# bench: a per-layer table of a training step (and --json); bad flags are usage errors
"$CNNLAB" bench --model lenet5 --batch 4 --iters 2 --warmup 2 --train --threads 1 --json bench.json > bench.log 2>&1 ||
  fail "bench failed: $(cat bench.log)"
for row in "features.0 *Conv2d *4x6x28x28" "features.2 *MaxPool2d" "classifier.4 *Linear *4x10" \
           "optimizer *SGD step" "step *sum of the medians" "Conv2d *2 "; do
  grep -q "^$row" bench.log || fail "bench lacks the row '$row': $(cat bench.log)"
done
grep -q '"path": "features.3"' bench.json || fail "bench.json lacks features.3: $(cat bench.json)"
grep -q "fresh tensor allocations in the 4 timed steps: 0 " bench.log ||
  fail "training steps after two warm-up steps should reuse every buffer: $(grep fresh bench.log)"
"$CNNLAB" bench --model lenet5 --batch 2 --iters 1 --warmup 0 > bench_eval.log 2>&1 ||
  fail "bench (eval) failed: $(cat bench_eval.log)"
grep -q "inference (eval mode, no graph)" bench_eval.log || fail "bench eval: $(cat bench_eval.log)"
expect 2 "unknown model 'nope'" -- "$CNNLAB" bench --model nope --batch 4
expect 2 "--batch: expected >= 1, got 0" -- "$CNNLAB" bench --model lenet5 --batch 0
expect 2 "--input: expected C x H x W" -- "$CNNLAB" bench --model lenet5 --input 1x28
expect 2 "--input: lenet5: expected input (C, 28, 28)" -- "$CNNLAB" bench --model lenet5 --input 1x32x32

# export: a run directory and a state_dict to ONNX (the graph itself is checked in C++ against
# OpenCV, tests/integration/onnx_export_test.cpp); ONNX files start with the ir_version field
"$CNNLAB" export full --onnx full.onnx > export.log 2>&1 || fail "export failed: $(cat export.log)"
grep -q "wrote full.onnx: mlp for input (N, 1, 28, 28), opset 13" export.log ||
  fail "export does not say what it wrote: $(cat export.log)"
grep -q "inputs as in training: pixels scaled to \[0, 1\]" export.log ||
  fail "export does not give the run's normalization: $(cat export.log)"
[ "$(head -c 1 full.onnx | od -An -tx1 | tr -d ' ')" = "08" ] || fail "full.onnx is not an ONNX model"
"$CNNLAB" export full/model.safetensors --model mlp --hidden 64 --onnx sd.onnx --opset 17 \
  --static-batch > export_sd.log 2>&1 || fail "export of a state_dict failed: $(cat export_sd.log)"
grep -q "mlp for input (1, 1, 28, 28), opset 17" export_sd.log || fail "export: $(cat export_sd.log)"
expect 1 "does not fit lenet5" -- "$CNNLAB" export full/model.safetensors --model lenet5 --onnx x.onnx
expect 2 "--model: required with a state_dict" -- "$CNNLAB" export full/model.safetensors --onnx x.onnx
expect 2 "--model: 'lenet5' but the run 'full' trained 'mlp'" -- "$CNNLAB" export full --model lenet5 --onnx x.onnx
expect 2 "--input: not with a run directory" -- "$CNNLAB" export full --input 1x28x28 --onnx x.onnx
expect 2 "--opset: expected 13 to 17, got 9" -- "$CNNLAB" export full --opset 9 --onnx x.onnx
expect 1 "cannot create" -- "$CNNLAB" export full --onnx /nonexistent-dir/x.onnx
[ ! -e x.onnx ] || fail "a failed export left x.onnx behind"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all CLI tests passed"
