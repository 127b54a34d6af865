#!/usr/bin/env bash
# End-to-end tests of `cnnlab collapse track|measure|minority` (issue 7) on tiny Fashion-MNIST
# subsets (LeNet-5, 20 images per class, a few epochs): the files each verb writes, resuming,
# reusing finished minority runs, and every bad input of the issue (exit 1, a one-line message
# naming the problem) and usage error (exit 2). Runs in well under a minute on 2 cores.
#   usage: collapse_test.sh PATH/TO/cnnlab
set -u
CNNLAB=$(realpath "$1")
HERE=$(realpath "$(dirname "$0")")
DATA=/usr/share/datasets/fashion-mnist
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
failures=0

# fail MESSAGE and expect STATUS PATTERN -- command... (tests/cli/expect.sh)
source "$HERE/expect.sh"

[ -d "$DATA" ] || { echo "Fashion-MNIST missing: run tools/setup.sh"; exit 1; }

# NOTE: --per-class is a list option (repeating it appends), so it is not part of TINY.
TINY=(--model lenet5 --data "$DATA" --test-limit 200 --threads 2 --progress none)
# The keys of analysis::collapse_fields, as in metrics.jsonl and `collapse measure --json`.
NC_KEYS=(nc1 nc2_equinorm_means nc2_equinorm_classifiers nc2_equiangular_means
  nc2_equiangular_classifiers nc2_max_angle_means nc2_max_angle_classifiers nc3 nc4
  nc_train_loss nc_train_accuracy nc_test_loss nc_test_accuracy)

# numbers KEY FILE: every numeric value of "KEY" in the JSON (or JSON lines) FILE, one a line.
numbers() { grep -o "\"$1\": *[-+0-9.eE]*" "$2" | sed 's/.*: *//'; }
# measured_epochs FILE: the epochs of metrics.jsonl FILE that carry "nc1", space-separated.
measured_epochs() { grep '"nc1"' "$1" | grep -o '"epoch": *[0-9]*' | sed 's/.*: *//' | xargs; }
# has_all_nc_keys FILE: every line of FILE that has "nc1" has every key of NC_KEYS.
has_all_nc_keys() {
  local line key
  while IFS= read -r line; do
    case $line in *'"nc1"'*) ;; *) continue ;; esac
    for key in "${NC_KEYS[@]}"; do
      grep -q "\"$key\": *[-0-9]" <<<"$line" || { echo "$key"; return 1; }
    done
  done <"$1"
}

# --- track: 3 epochs, all measured (log_spaced_epochs(3, 3) = 1, 2, 3) ----------------------
"$CNNLAB" collapse track "${TINY[@]}" --per-class 20 --epochs 3 --points 3 --out run > track.log 2>&1 ||
  fail "collapse track failed: $(cat track.log)"
grep -q "measuring neural collapse at 3 epochs of 3" track.log ||
  fail "track does not say which epochs it measures: $(cat track.log)"
grep -q 'report: run/report.html (section "Neural collapse")' track.log ||
  fail "track does not say where the report is: $(cat track.log)"
[ "$(wc -l < run/metrics.jsonl)" -eq 3 ] || fail "metrics.jsonl should have 3 lines"
[ "$(measured_epochs run/metrics.jsonl)" = "1 2 3" ] ||
  fail "expected epochs 1 2 3 measured, got '$(measured_epochs run/metrics.jsonl)'"
missing=$(has_all_nc_keys run/metrics.jsonl) || fail "a measured epoch lacks '$missing'"
grep -q 'id="collapse"' run/report.html || fail "report.html lacks the neural-collapse section"
for id in chart-nc1 chart-nc2-equinorm chart-nc2-equiangular chart-nc2-max-angle chart-nc3 \
  chart-nc4 chart-nc-error; do
  grep -q "<canvas id=\"$id\"" run/report.html || fail "report.html lacks the canvas $id"
done
[ "$(tr -d ' \n' < run/config.json | grep -o '"train_per_class":\[[0-9,]*\]')" = \
  '"train_per_class":[20]' ] || fail "config.json lacks train_per_class [20]"
[ -s run/eval.json ] && [ -s run/model.safetensors ] || fail "track did not finish the run"

# --- track --resume: 2 more epochs; log_spaced_epochs(5, 3) = 1, 2, 5 -> epoch 5 measured -----
"$CNNLAB" collapse track --resume run --epochs 5 --points 3 --progress none > resume.log 2>&1 ||
  fail "collapse track --resume failed: $(cat resume.log)"
grep -q "resuming 'run' after epoch 3 of 5" resume.log || fail "resume: $(cat resume.log)"
[ "$(wc -l < run/metrics.jsonl)" -eq 5 ] || fail "metrics.jsonl should have 5 lines after resume"
[ "$(measured_epochs run/metrics.jsonl)" = "1 2 3 5" ] ||
  fail "expected epochs 1 2 3 5 measured after resume, got '$(measured_epochs run/metrics.jsonl)'"
missing=$(has_all_nc_keys run/metrics.jsonl) || fail "a resumed epoch lacks '$missing'"

# --- measure: the final model, printed and as JSON; equal to the last epoch's measurement ----
"$CNNLAB" collapse measure run --json m.json --threads 2 > measure.log 2>&1 ||
  fail "collapse measure failed: $(cat measure.log)"
grep -q "classifier layer classifier.4: 200 samples, 10 classes, 84 features" measure.log ||
  fail "measure does not name the layer and sizes: $(cat measure.log)"
for key in nc1 nc2_equinorm_means nc2_equinorm_classifiers nc2_equiangular_means \
  nc2_equiangular_classifiers nc2_max_angle_means nc2_max_angle_classifiers nc3 nc4; do
  [ "$(numbers "$key" m.json | wc -l)" -eq 1 ] || fail "m.json lacks '$key'"
done
grep -q '"layer": "classifier.4"' m.json || fail "m.json does not name the layer"
json_nc1=$(printf '%.6g' "$(numbers nc1 m.json)")
printed_nc1=$(awk '$1 == "nc1" { print $2 }' measure.log)
[ -n "$printed_nc1" ] && [ "$printed_nc1" = "$json_nc1" ] ||
  fail "printed nc1 '$printed_nc1' differs from the JSON's '$json_nc1'"
last_nc1=$(printf '%.6g' "$(tail -1 run/metrics.jsonl | grep -o '"nc1": *[-+0-9.eE]*' | sed 's/.*: *//')")
[ "$last_nc1" = "$json_nc1" ] ||
  fail "measure's nc1 $json_nc1 differs from epoch 5's $last_nc1 (same model, eval mode)"

# --- minority: ratios 1 and 4 (20 and 5 minority images per class) ---------------------------
MINORITY=(collapse minority "${TINY[@]}" --per-class 20 --out D --ratios 1,4 --majority 5 --epochs 2)
"$CNNLAB" "${MINORITY[@]}" > minority.log 2>&1 || fail "collapse minority failed: $(cat minority.log)"
[ "$(numbers ratio D/minority.json | wc -l)" -eq 2 ] || fail "minority.json should hold 2 ratios"
[ "$(numbers minority_images_per_class D/minority.json | xargs)" = "20 5" ] ||
  fail "minority.json: expected 20 and 5 minority images per class"
cosines=$(numbers minority_cosine D/minority.json)
[ "$(wc -l <<<"$cosines")" -eq 2 ] &&
  awk '{ if (!($1 >= -1 && $1 <= 1)) bad = 1 } END { exit bad }' <<<"$cosines" ||
  fail "expected 2 minority cosines in [-1, 1], got: $cosines"
[ "$(wc -l < D/minority.csv)" -eq 3 ] || fail "minority.csv should hold a header and 2 rows"
head -1 D/minority.csv | grep -q '^ratio,minority_images_per_class,minority_cosine,' ||
  fail "minority.csv lacks its header"
for id in chart-cosines chart-minority-accuracy; do
  grep -q "<canvas id=\"$id\"" D/report.html || fail "D/report.html lacks the canvas $id"
done
grep -q 'href="R4/report.html"' D/report.html || fail "D/report.html does not link R4's report"
for r in R1 R4; do
  [ -s "D/$r/config.json" ] && [ -s "D/$r/model.safetensors" ] && [ -s "D/$r/report.html" ] ||
    fail "D/$r is not a finished run"
done
[ "$(tr -d ' \n' < D/R4/config.json | grep -o '"train_per_class":\[[0-9,]*\]')" = \
  '"train_per_class":[20,20,20,20,20,5,5,5,5,5]' ] || fail "D/R4 has the wrong per-class counts"
# The same command again reuses both runs and writes the same numbers.
cp D/minority.json first.json
"$CNNLAB" "${MINORITY[@]}" > again.log 2>&1 || fail "repeated collapse minority failed: $(cat again.log)"
[ "$(grep -c reusing again.log)" -eq 2 ] || fail "the repeated command did not reuse both runs: $(cat again.log)"
cmp -s first.json D/minority.json || fail "the repeated command changed minority.json"

# --- bad input: exit 1, one line naming the problem, nothing trained ---------------------------
T=(collapse track "${TINY[@]}" --per-class 20 --epochs 3 --out bad)
M=(collapse minority "${TINY[@]}" --per-class 20 --epochs 2 --out bad)
expect 1 "unknown layer 'nosuch' (layers: features, features.0, .*classifier.4)" -- \
  "$CNNLAB" "${T[@]}" --layer nosuch
expect 1 "expected layer 'features.0' to be Linear (the classifier), got Conv2d" -- \
  "$CNNLAB" "${T[@]}" --layer features.0
expect 1 "expected layer 'classifier.2' to output the 10 class scores, got 84 outputs" -- \
  "$CNNLAB" "${T[@]}" --layer classifier.2
expect 1 "has 6000 examples, fewer than the 100000 requested" -- \
  "$CNNLAB" collapse track "${TINY[@]}" --per-class 100000 --epochs 3 --out bad
expect 1 "unknown layer 'nosuch' (layers: " -- "$CNNLAB" "${M[@]}" --ratios 1,4 --layer nosuch
expect 1 "expected ratios R >= 1, got 0.5" -- "$CNNLAB" "${M[@]}" --ratios 0.5
expect 1 "ratio 40 leaves floor(20 / 40) = 0 images per minority class" -- \
  "$CNNLAB" "${M[@]}" --ratios 1,40
expect 1 "has 6000 examples, fewer than the 100000 requested" -- \
  "$CNNLAB" collapse minority "${TINY[@]}" --per-class 100000 --ratios 1 --out bad
expect 1 "expected 1 <= --majority < 10 classes, got 10" -- \
  "$CNNLAB" "${M[@]}" --ratios 1,4 --majority 10
expect 1 "cannot open 'D/config.json' (is 'D' a run directory" -- "$CNNLAB" collapse measure D
expect 1 "unknown layer 'nosuch' (layers: " -- "$CNNLAB" collapse measure run --layer nosuch
[ ! -e bad ] || fail "a rejected command created its output directory"

# --- usage errors: exit 2 ---------------------------------------------------------------------
expect 2 "unknown verb 'frob' (verbs: track, measure, minority)" -- "$CNNLAB" collapse frob
expect 2 "--points: expected >= 2, got 1" -- "$CNNLAB" "${T[@]}" --points 1
expect 2 "expected --out DIR or --resume DIR" -- "$CNNLAB" collapse track --epochs 2
expect 2 "expected --out DIR or --resume DIR" -- "$CNNLAB" collapse track --out a --resume run
expect 2 "--lr cannot be combined with --resume" -- \
  "$CNNLAB" collapse track --resume run --epochs 6 --lr 0.1
expect 2 "--per-class: expected one count" -- \
  "$CNNLAB" collapse minority "${TINY[@]}" --per-class 20,30 --out bad
"$CNNLAB" collapse > out.txt 2> err.txt
[ $? -eq 2 ] && grep -q "usage error: expected a verb" err.txt || fail "collapse without a verb: $(cat err.txt)"
[ "$(wc -l < run/metrics.jsonl)" -eq 5 ] || fail "a rejected --resume changed the run"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all collapse CLI tests passed"
