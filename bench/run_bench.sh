#!/usr/bin/env bash
# The benchmark driver of issue 4: cnnlab against PyTorch (Debian's torch) on this machine, same
# thread count, alternating the two sides, RUNS runs of each, every run its own process under
# /usr/bin/time -v (peak RSS). Parts: (a)/(b) LeNet-5 on Fashion-MNIST (bench/lenet_cnnlab.cpp,
# bench/lenet_torch.py); (c) ResNet-20, (d) VGG-11-BN, (e) one conv layer against the FMA peak
# (bench/models_cnnlab.cpp, bench/models_torch.py, bench/peak_probe.cpp), (f) ResNet-50 at
# 224x224 (issue 5), (g) one style-transfer iteration on VGG-19 at 256x256 (issue 6); 1- vs
# N-thread scaling.
# Writes bench/RESULTS.md.   bench/run_bench.sh   (environment: see the defaults below)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BIN="${LENET_CNNLAB:-build/release/lenet_cnnlab}"     # CMake target lenet_cnnlab, parts (a), (b)
MODELS_BIN="${MODELS_CNNLAB:-build/release/models_cnnlab}"  # target models_cnnlab, (c)-(e)
PEAK_BIN="${PEAK_PROBE:-build/release/peak_probe}"    # target peak_probe, (e)
CLI="${CNNLAB_CLI:-build/release/cnnlab}"             # for the per-layer profile, if it has `bench`
PY="${TORCH_PYTHON:-/usr/bin/python3}"                # a Python that has torch
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
PARTS="${PARTS:-a b c d e f g scaling}"  # which parts to run (a subset for a quick look)
THREADS="${THREADS:-2}"
RUNS="${RUNS:-3}"
LATENCY_ITERS="${LATENCY_ITERS:-2000}"   # batch-1 forward passes per run (median taken)
THROUGHPUT_ITERS="${THROUGHPUT_ITERS:-50}"  # batch-256 forward passes per run (median taken)
TRAIN_BATCHES="${TRAIN_BATCHES:-64 256}"
# NOTE: with these counts the whole script takes about 8 minutes on the 2-core machine of issue 4
# when cnnlab's steps take about as long as PyTorch's; lower them if cnnlab is much slower.
MODEL_STEPS="${MODEL_STEPS:-20}"      # timed training steps / eval passes per run, (c) and (d)
MODEL_WARMUP="${MODEL_WARMUP:-3}"     # untimed ones before them
R50_STEPS="${R50_STEPS:-10}"          # timed ResNet-50 eval passes per run, (f)
STYLE_STEPS="${STYLE_STEPS:-5}"       # timed style-transfer iterations per run, (g)
STYLE_WARMUP="${STYLE_WARMUP:-1}"
SCALING_STEPS="${SCALING_STEPS:-10}"  # timed ResNet-20 steps per 1-thread run
CONV_STEPS="${CONV_STEPS:-20}"       # timed conv-layer calls per run, (e)
CONV_WARMUP="${CONV_WARMUP:-3}"
TORCH_FORMAT="${TORCH_FORMAT:-auto}"  # PyTorch's memory format: channels_last, contiguous, or
                                      # auto = the faster in a short pre-run, per measurement
MAX_LOAD="${MAX_LOAD:-0.5}"    # wait for the 1-minute load average to fall below this ...
MAX_WAIT="${MAX_WAIT:-600}"    # ... for at most this many seconds, then measure and note it
OUT="${OUT:-bench/RESULTS.md}"

die() { echo "run_bench.sh: $*" >&2; exit 1; }
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
if has_part a || has_part b; then
  [[ -x "$BIN" ]] || die "no cnnlab benchmark program at $BIN (build it: make bench, or set LENET_CNNLAB)"
  ls "$DATA"/train-images-idx3-ubyte* >/dev/null 2>&1 ||
    die "no Fashion-MNIST in $DATA (apt-get install dataset-fashion-mnist)"
fi
if has_part c || has_part d || has_part e || has_part f || has_part g || has_part scaling; then
  [[ -x "$MODELS_BIN" ]] || die "no $MODELS_BIN (build it: make bench, or set MODELS_CNNLAB)"
fi
if has_part e; then
  [[ -x "$PEAK_BIN" ]] || die "no $PEAK_BIN (build it: make bench, or set PEAK_PROBE)"
fi
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
"$PY" -c 'import torch, numpy' 2>/dev/null ||
  die "$PY cannot import torch and numpy (apt-get install python3-torch python3-numpy)"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
RAW="$TMP/runs.tsv"
FORMATS="$TMP/formats.tsv"
PARAMS="$TMP/params.tsv"
PROFILES="$TMP/profiles.md"
printf 'measure\tside\trun\tthreads\tseconds\trss_kb\tload1\tparams\tgflops\textra\n' >"$RAW"
printf 'measure\tchosen\tchannels_last\tcontiguous\n' >"$FORMATS"
printf 'model\tcnnlab\ttorch\n' >"$PARAMS"
: >"$PROFILES"

# result_key KEY: the value of KEY=... in the RESULT line held in $result (empty if absent).
result_key() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }

# ---- 1. the parameter counts must agree before anything is timed ------------------------------
models=()
if has_part c || has_part scaling; then models+=(resnet20); fi
if has_part d; then models+=(vgg11_bn); fi
if has_part f; then models+=(resnet50); fi
for m in "${models[@]}"; do
  result="$("$MODELS_BIN" params "$m" --threads 1 | grep '^RESULT ')" || die "cnnlab: no model $m"
  pc="$(result_key params)"
  result="$(OPENBLAS_NUM_THREADS=1 "$PY" bench/models_torch.py params "$m" --threads 1 |
    grep '^RESULT ')" || die "models_torch.py: no model $m"
  pt="$(result_key params)"
  printf '%s\t%s\t%s\n' "$m" "$pc" "$pt" >>"$PARAMS"
  [[ "$pc" == "$pt" ]] ||
    die "$m has $pc parameters in cnnlab but $pt in PyTorch: the two sides are not the same network"
  echo "run_bench.sh: $m: $pc parameters on both sides" >&2
done

# ---- 2. wait for a quiet machine --------------------------------------------------------------
load1() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
  if ((waited >= MAX_WAIT)); then
    echo "run_bench.sh: load $(load1) still >= $MAX_LOAD after ${MAX_WAIT}s; measuring anyway" >&2
    break
  fi
  echo "run_bench.sh: load average $(load1) >= $MAX_LOAD, waiting (${waited}s so far)" >&2
  sleep 15
  waited=$((waited + 15))
done
START_LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
START_SECONDS=$SECONDS

# ---- 3. PyTorch's memory format per measurement -----------------------------------------------
declare -A FORMAT
# choose_format MEASURE ARGS...: with TORCH_FORMAT=auto, one short PyTorch run in each format
# (2 warm-up + 3 timed steps); the faster is PyTorch's configuration for MEASURE.
choose_format() {
  local measure="$1"
  shift
  if [[ "$TORCH_FORMAT" != auto ]]; then
    FORMAT[$measure]="$TORCH_FORMAT"
    printf '%s\t%s\t\t\n' "$measure" "$TORCH_FORMAT" >>"$FORMATS"
    return
  fi
  local f s_cl s_ct
  for f in channels_last contiguous; do
    result="$(env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS="$THREADS" "$PY" bench/models_torch.py \
      "$@" --threads "$THREADS" --steps 3 --warmup 2 --memory-format "$f" | grep '^RESULT ')" ||
      die "models_torch.py $* --memory-format $f failed"
    if [[ $f == channels_last ]]; then s_cl="$(result_key seconds)"; else s_ct="$(result_key seconds)"; fi
  done
  f="$(awk -v a="$s_cl" -v b="$s_ct" 'BEGIN { print (a <= b ? "channels_last" : "contiguous") }')"
  FORMAT[$measure]="$f"
  printf '%s\t%s\t%s\t%s\n' "$measure" "$f" "$s_cl" "$s_ct" >>"$FORMATS"
  echo "run_bench.sh: PyTorch $measure: channels_last ${s_cl}s, contiguous ${s_ct}s -> $f" >&2
}

# ---- 4. one run, and RUNS runs of each side ----------------------------------------------------
# run_one MEASURE SIDE RUN THREADS PROG ARGS...: one process (PROG lenet, models or peak), its
# RESULT line and peak RSS appended to RAW.
run_one() {
  local measure="$1" side="$2" run="$3" threads="$4" prog="$5"
  shift 5
  local cmd
  case "$side/$prog" in
    cnnlab/lenet) cmd=("$BIN" "$@" --threads "$threads" --data "$DATA") ;;
    torch/lenet) cmd=("$PY" bench/lenet_torch.py "$@" --threads "$threads" --data "$DATA") ;;
    cnnlab/models) cmd=("$MODELS_BIN" "$@" --threads "$threads") ;;
    torch/models)
      cmd=("$PY" bench/models_torch.py "$@" --threads "$threads"
        --memory-format "${FORMAT[${measure%_t1}]:-contiguous}") ;;
    probe/peak) cmd=("$PEAK_BIN" "$@" --threads "$threads") ;;
    *) die "run_one: unknown side/program $side/$prog" ;;
  esac
  local l
  l="$(load1)"
  env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS="$threads" CNNLAB_BACKEND="${CNNLAB_BACKEND:-fast}" \
    /usr/bin/time -v -o "$TMP/time.txt" "${cmd[@]}" >"$TMP/out.txt" 2>"$TMP/err.txt" || {
    cat "$TMP/err.txt" >&2
    die "$side $measure run $run failed: ${cmd[*]}"
  }
  local seconds rss params gflops extra k v
  result="$(grep '^RESULT ' "$TMP/out.txt")" || die "$side $measure: no RESULT line"
  seconds="$(result_key seconds)"
  params="$(result_key params)"
  gflops="$(result_key gflops)"
  extra=""
  for k in mean_loss loss_last format isa; do
    v="$(result_key "$k")"
    [[ -z "$v" ]] || extra+="${extra:+ }$k=$v"
  done
  rss="$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$TMP/time.txt")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$measure" "$side" "$run" "$threads" \
    "${seconds:-0}" "$rss" "$l" "$params" "$gflops" "$extra" >>"$RAW"
  echo "  $measure $side run $run ($threads threads): ${seconds:-?}s${gflops:+ ${gflops} GFLOP/s}," \
    "peak RSS ${rss} KB, load $l $extra" >&2
}

# measure NAME THREADS PROG ARGS...: RUNS runs of each side, alternating, the first side swapped
# every run so that a drift in the machine's speed does not favour one side.
measure() {
  local name="$1" threads="$2" prog="$3"
  shift 3
  for ((r = 1; r <= RUNS; r++)); do
    if ((r % 2)); then
      run_one "$name" cnnlab "$r" "$threads" "$prog" "$@"
      run_one "$name" torch "$r" "$threads" "$prog" "$@"
    else
      run_one "$name" torch "$r" "$threads" "$prog" "$@"
      run_one "$name" cnnlab "$r" "$threads" "$prog" "$@"
    fi
  done
}

echo "run_bench.sh: load $START_LOAD; $RUNS runs each side, $THREADS threads; parts: $PARTS" >&2
steps=(--steps "$MODEL_STEPS" --warmup "$MODEL_WARMUP")
if has_part c || has_part scaling; then choose_format resnet20_train_b128 train resnet20 128; fi
if has_part c; then choose_format resnet20_eval_b256 eval resnet20 256; fi
if has_part d; then choose_format vgg11_bn_train_b64 train vgg11_bn 64; fi
if has_part f; then choose_format resnet50_eval_b8 eval resnet50 8; fi
if has_part g; then choose_format style_vgg19_256 style 256; fi
if has_part e; then
  choose_format conv_forward conv-forward
  choose_format conv_backward conv-backward
fi
if has_part a; then
  for b in $TRAIN_BATCHES; do measure "train_b$b" "$THREADS" lenet train "$b"; done
fi
if has_part b; then
  measure latency_b1 "$THREADS" lenet latency "$LATENCY_ITERS"
  measure throughput_b256 "$THREADS" lenet throughput "$THROUGHPUT_ITERS"
fi
if has_part c || has_part scaling; then
  measure resnet20_train_b128 "$THREADS" models train resnet20 128 "${steps[@]}"
fi
if has_part c; then measure resnet20_eval_b256 "$THREADS" models eval resnet20 256 "${steps[@]}"; fi
if has_part d; then measure vgg11_bn_train_b64 "$THREADS" models train vgg11_bn 64 "${steps[@]}"; fi
if has_part f; then
  measure resnet50_eval_b8 "$THREADS" models eval resnet50 8 --steps "$R50_STEPS" \
    --warmup "$MODEL_WARMUP"
fi
if has_part g; then
  measure style_vgg19_256 "$THREADS" models style 256 --steps "$STYLE_STEPS" --warmup "$STYLE_WARMUP"
fi
if has_part e; then
  for t in $(printf '%s\n' 1 "$THREADS" | sort -un); do
    for ((r = 1; r <= RUNS; r++)); do run_one "peak_t$t" probe "$r" "$t" peak; done
  done
  measure conv_forward "$THREADS" models conv-forward --steps "$CONV_STEPS" --warmup "$CONV_WARMUP"
  measure conv_backward "$THREADS" models conv-backward --steps "$CONV_STEPS" --warmup "$CONV_WARMUP"
fi
if has_part scaling && ((THREADS != 1)); then
  measure resnet20_train_b128_t1 1 models train resnet20 128 --steps "$SCALING_STEPS" \
    --warmup "$MODEL_WARMUP"
fi
END_LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
ELAPSED=$((SECONDS - START_SECONDS))

# ---- 5. per-layer profiles, when the CLI has `cnnlab bench` (issue 4) --------------------------
# NOTE: outside the timed part; a missing or failing `cnnlab bench` leaves a note, not an error.
# With `--json` in this build's `cnnlab bench`, each profile is also compared per op type with
# PyTorch's (bench/profile_torch.py, same model, batch, threads and memory format as the timed
# runs; bench/compare_profiles.py writes the tables), and, with the scaling part, ResNet-20's
# training step is profiled with 1 thread too on both sides.
RAWPROF="$TMP/raw_profiles.md"
: >"$RAWPROF"
pairs=()
if [[ -x "$CLI" ]] && bench_help="$("$CLI" bench --help 2>&1)"; then
  has_json=0
  if grep -q -- '--json' <<<"$bench_help"; then has_json=1; fi
  # Only the flags that this build's `cnnlab bench --help` lists besides --model and --batch.
  # profile MODEL BATCH INPUT [THREADS [QUIET]]: the per-layer table into RAWPROF (not when
  # QUIET), and with --json the two sides' JSON files, named in $prof_c and $prof_t.
  profile() {
    local model="$1" batch="$2" input="$3" threads="${4:-$THREADS}" quiet="${5:-}" args
    args=(--model "$model" --batch "$batch")
    if grep -q -- '--input' <<<"$bench_help"; then args+=(--input "$input"); fi
    if grep -q -- '--train' <<<"$bench_help"; then args+=(--train); fi
    if grep -q -- '--threads' <<<"$bench_help"; then args+=(--threads "$threads"); fi
    # the optimizer of parts (c) and (d), so that the profile's optimizer row matches PyTorch's
    if grep -q -- '--weight-decay' <<<"$bench_help"; then
      args+=(--lr 0.1 --momentum 0.9 --weight-decay 5e-4)
    fi
    prof_c="" prof_t=""
    local jargs=() out status=0
    if ((has_json)); then jargs=(--json "$TMP/prof_c_${model}_t$threads.json"); fi
    out="$(timeout 300 env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS="$threads" "$CLI" bench \
      "${args[@]}" "${jargs[@]}" 2>&1)" || status=$?
    if [[ -z "$quiet" ]]; then
      {
        echo "#### \`cnnlab bench ${args[*]}\`"
        echo
        echo '```'
        echo "$out"
        ((status == 0)) || echo "(cnnlab bench failed or timed out: exit status $status)"
        echo '```'
        echo
      } >>"$RAWPROF"
    fi
    ((status == 0 && has_json)) || return 0
    prof_c="$TMP/prof_c_${model}_t$threads.json"
    local fmt
    case "$model" in
      resnet20) fmt="${FORMAT[resnet20_train_b128]:-channels_last}" ;;
      vgg11_bn) fmt="${FORMAT[vgg11_bn_train_b64]:-channels_last}" ;;
      *) fmt=contiguous ;;
    esac
    if timeout 300 env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS="$threads" "$PY" \
      bench/profile_torch.py "$model" "$batch" --threads "$threads" --memory-format "$fmt" \
      --json "$TMP/prof_t_${model}_t$threads.json"; then
      prof_t="$TMP/prof_t_${model}_t$threads.json"
    else
      echo "run_bench.sh: profile_torch.py $model failed; no per-op-type comparison" >&2
    fi
  }
  add_pair() {
    if [[ -n "$prof_c" && -n "$prof_t" ]]; then pairs+=(--pair "$prof_c" "$prof_t"); fi
  }
  if has_part a; then profile lenet5 64 1x28x28 && add_pair; fi
  if has_part c; then profile resnet20 128 3x32x32 && add_pair; fi
  if has_part d; then profile vgg11_bn 64 3x32x32 && add_pair; fi
  if has_part c && has_part scaling && ((THREADS != 1)); then
    c_n="$TMP/prof_c_resnet20_t$THREADS.json" t_n="$TMP/prof_t_resnet20_t$THREADS.json"
    profile resnet20 128 3x32x32 1 quiet
    if [[ -n "$prof_c" && -n "$prof_t" && -f "$c_n" && -f "$t_n" ]]; then
      pairs+=(--scaling "$prof_c" "$c_n" "$prof_t" "$t_n")
    fi
  fi
fi
if ((${#pairs[@]})); then
  "$PY" bench/compare_profiles.py "${pairs[@]}" >>"$PROFILES" ||
    echo "run_bench.sh: compare_profiles.py failed; no per-op-type comparison" >&2
  echo >>"$PROFILES"
fi
cat "$RAWPROF" >>"$PROFILES"

# ---- 6. the machine and the versions ----------------------------------------------------------
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
ncpu="$(nproc)"
cores="$(lscpu | sed -n 's/^Core(s) per socket: *//p' | head -1)"
tpc="$(lscpu | sed -n 's/^Thread(s) per core: *//p' | head -1)"
sockets="$(lscpu | sed -n 's/^Socket(s): *//p' | head -1)"
flags="$(lscpu | sed -n 's/^Flags: *//p' | tr ' ' '\n' | grep -xE 'avx2|fma|avx512f' | tr '\n' ' ')"
mem="$(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
kernel="$(uname -r)"
gxx="$(g++ --version 2>/dev/null | head -1 || echo unknown)"
openblas="$(dpkg-query -W -f '${Package} ${Version}' 'libopenblas0-pthread' 2>/dev/null ||
  dpkg-query -W -f '${Package} ${Version}' 'libopenblas0*' 2>/dev/null | head -1 || echo unknown)"
dnnl="$(dpkg-query -W -f '${Package} ${Version}' 'libdnnl2' 2>/dev/null || echo 'oneDNN: unknown')"
torchv="$("$PY" -c 'import torch; print(torch.__version__)')"
torchpar="$("$PY" -c 'import torch; print(torch.__config__.parallel_info().splitlines()[-1].strip()); ' 2>/dev/null)"
onednn="$("$PY" -c 'import torch; print([l.strip() for l in torch.__config__.show().splitlines() if "DNN" in l][0].lstrip("- "))' 2>/dev/null || echo unknown)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ' (with uncommitted changes)' || true)"
cache="$(dirname "$BIN")/CMakeCache.txt"
buildinfo="built by hand"
if [[ -f "$cache" ]]; then
  buildinfo="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=/CMAKE_BUILD_TYPE=/p' "$cache")"
  native="$(sed -n 's/^CNNLAB_NATIVE:BOOL=//p' "$cache")"
  if [[ -n "$native" ]]; then
    buildinfo+=" CNNLAB_NATIVE=$native"
    [[ "$native" == ON ]] && buildinfo+=" (-march=native)"
  fi
fi

export RAW OUT FORMATS PARAMS PROFILES PARTS cpu ncpu cores tpc sockets flags mem kernel gxx \
  openblas dnnl torchv torchpar onednn commit dirty buildinfo THREADS RUNS LATENCY_ITERS \
  THROUGHPUT_ITERS MODEL_STEPS MODEL_WARMUP SCALING_STEPS CONV_STEPS CONV_WARMUP TORCH_FORMAT \
  STYLE_STEPS STYLE_WARMUP \
  START_LOAD END_LOAD MAX_LOAD waited ELAPSED BIN CLI
"$PY" bench/write_results.py
