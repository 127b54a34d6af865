#!/usr/bin/env bash
# Loads sample run reports in headless Chromium (Debian's `chromium`) and checks that each page
# logs nothing to the console, draws every chart (<body data-charts-rendered> equals the number of
# canvases) and leaves a screenshot that is not blank and shows each chart's colour. The pages: a
# finished run, a run still training, a run with neural-collapse measurements (cnnlab collapse
# track) and a minority-collapse experiment (cnnlab collapse minority). Then it proves the checks
# bite: a page with an injected JS error, and one without Chart.js, must fail.
#
# usage: check_report.sh MAKE_SAMPLE_REPORT PNG_CHECK
#   MAKE_SAMPLE_REPORT, PNG_CHECK: the test programs built from tests/report/*.cpp
#   $CHROMIUM: the browser (default: chromium or chromium-browser on the PATH)
#   $CNNLAB_REQUIRE_CHROMIUM=1: fail instead of skipping (exit 77) when there is no browser (CI)
# Keeps its work folder (screenshots, DOM dumps, browser logs) and prints its path on failure.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 MAKE_SAMPLE_REPORT PNG_CHECK" >&2
  exit 2
fi
make_sample=$1
png_check=$2
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z $chromium ]]; then
  echo "check_report: no chromium on the PATH (apt-get install chromium)" >&2
  [[ ${CNNLAB_REQUIRE_CHROMIUM:-0} == 1 ]] && exit 1
  exit 77  # ctest: SKIP_RETURN_CODE
fi

# The colours of the chart series (kTrainColour, kTestColour, kBarColour in src/train/report.cpp).
train_colour=2563eb
test_colour=ea580c
bar_colour=7c3aed

work=$(mktemp -d "${TMPDIR:-/tmp}/cnnlab-report-check.XXXXXX")
status=1
# shellcheck disable=SC2317  # called through the trap
cleanup() {
  if [[ $status -eq 0 ]]; then rm -rf "$work"; else echo "check_report: files kept in $work" >&2; fi
}
trap cleanup EXIT

# load NAME HTML: screenshot, DOM and browser log of the page, in $work/NAME.{png,dom,log}.
load() {
  local name=$1 html=$2
  # NOTE: --no-sandbox because CI containers run as root; the pages are our own local files.
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-extensions --no-first-run --no-default-browser-check \
    --hide-scrollbars --mute-audio --user-data-dir="$work/profile-$name" \
    --enable-logging=stderr --v=0 --window-size=1280,2400 \
    --screenshot="$work/$name.png" --dump-dom "file://$html" \
    >"$work/$name.dom" 2>"$work/$name.log" || {
    echo "chromium exited with status $? on $name" >>"$work/$name.problems"
  }
}

# check NAME COLOUR...: writes the page's problems to $work/NAME.problems (empty when it is good).
check() {
  local name=$1
  shift
  local problems=$work/$name.problems
  touch "$problems"
  # Console messages (console.log/warn/error, uncaught exceptions, failed loads) appear in the
  # browser log as "...:CONSOLE:LINE] "message", source: URL (LINE)". The page logs nothing.
  if grep -E ':CONSOLE[:(]' "$work/$name.log" >"$work/$name.console"; then
    sed 's/^/console: /' "$work/$name.console" >>"$problems"
  fi
  local canvases rendered
  canvases=$(grep -o '<canvas ' "$work/$name.dom" | wc -l)
  rendered=$(grep -o '<body[^>]*data-charts-rendered="[0-9]*"' "$work/$name.dom" |
    grep -o '[0-9]*"$' | tr -d '"' || true)
  if [[ $canvases -eq 0 ]]; then
    echo "no <canvas> in the page" >>"$problems"
  elif [[ $rendered != "$canvases" ]]; then
    echo "charts rendered: '${rendered:-none}' of $canvases canvases" >>"$problems"
  fi
  if [[ ! -s $work/$name.png ]]; then
    echo "no screenshot" >>"$problems"
  elif ! "$png_check" "$work/$name.png" "$@" >"$work/$name.pixels"; then
    echo "screenshot: $(cat "$work/$name.pixels")" >>"$problems"
  fi
}

report() {  # report NAME: prints the verdict on one page
  if [[ -s $work/$1.problems ]]; then
    echo "FAIL $1:"
    sed 's/^/  /' "$work/$1.problems"
  else
    echo "ok   $1 ($(cat "$work/$1.pixels"))"
  fi
}

start_ms=$(date +%s%3N)
failed=0

# 1. A finished run (with eval.json: 3 charts) and a run still training (no eval.json: 2).
"$make_sample" "$work/full" >/dev/null
"$make_sample" "$work/partial" --no-eval >/dev/null
load full "$work/full/report.html"
load partial "$work/partial/report.html"
check full "$train_colour" "$test_colour" "$bar_colour"
check partial "$train_colour" "$test_colour"
report full
report partial
[[ -s $work/full.problems || -s $work/partial.problems ]] && failed=1
grep -q 'id="evaluation-missing"' "$work/partial.dom" || {
  echo "FAIL partial: no 'evaluation is missing' notice"
  failed=1
}

# 1b. Neural collapse: the 3 charts plus 7 collapse charts (10 canvases) with the epoch of zero
#     training error; the minority page: 2 charts against the ratio.
"$make_sample" "$work/collapse" --collapse >/dev/null
"$make_sample" "$work/minority" --minority >/dev/null
load collapse "$work/collapse/report.html"
load minority "$work/minority/report.html"
check collapse "$train_colour" "$test_colour" "$bar_colour"
check minority "$train_colour" "$test_colour" "$bar_colour"
report collapse
report minority
[[ -s $work/collapse.problems || -s $work/minority.problems ]] && failed=1
for page in collapse:10 minority:2; do
  canvases=$(grep -o '<canvas ' "$work/${page%:*}.dom" | wc -l)
  if [[ $canvases -ne ${page#*:} ]]; then
    echo "FAIL ${page%:*}: expected ${page#*:} canvases, got $canvases"
    failed=1
  fi
done
grep -q 'training error first reached zero at epoch 5' "$work/collapse.dom" || {
  echo "FAIL collapse: the page does not name epoch 5 as the epoch of zero training error"
  failed=1
}
grep -q '<a href="R100/report.html">R100</a>' "$work/minority.dom" || {
  echo "FAIL minority: the table does not link the R = 100 run's report"
  failed=1
}

# 2. The checks must catch a broken page. An error thrown after the charts are drawn is seen
#    only by the console check; a page without Chart.js fails all three checks.
sed 's|</body>|<script>cnnlabInjectedError();</script></body>|' \
  "$work/full/report.html" >"$work/js-error.html"
sed 's|<script id="cnnlab-render">|<script>window.Chart = undefined;</script>&|' \
  "$work/full/report.html" >"$work/no-chart.html"
load js-error "$work/js-error.html"
load no-chart "$work/no-chart.html"
check js-error "$train_colour" "$test_colour" "$bar_colour"
check no-chart "$train_colour" "$test_colour" "$bar_colour"
if grep -q 'console: .*cnnlabInjectedError is not defined' "$work/js-error.problems"; then
  echo "ok   js-error is caught (console: ReferenceError: cnnlabInjectedError)"
else
  echo "FAIL js-error: the injected error was not reported"
  report js-error
  failed=1
fi
if grep -q '^console: .*Uncaught TypeError' "$work/no-chart.problems" &&
  grep -q "^charts rendered: 'none' of 3" "$work/no-chart.problems" &&
  grep -q '^screenshot: .*MISSING' "$work/no-chart.problems"; then
  echo "ok   no-chart is caught (console error, no charts rendered, chart colours missing)"
else
  echo "FAIL no-chart: a page without Chart.js was not caught by every check"
  report no-chart
  failed=1
fi

elapsed_ms=$(($(date +%s%3N) - start_ms))
printf 'check_report: 6 pages in %d.%03d s\n' $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
status=$failed
exit "$failed"
