# Shared by the CLI test scripts (source it after `failures=0`): fail MESSAGE counts a failure;
# expect STATUS PATTERN -- command... runs the command and checks its exit status and a one-line
# stderr that contains PATTERN. Both leave the command's output in out.txt and err.txt.
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect() {
  local status=$1 pattern=$2
  shift 3
  "$@" > out.txt 2> err.txt
  local got=$?
  [ "$got" -eq "$status" ] || fail "expected exit $status, got $got: $* (stderr: $(cat err.txt))"
  grep -q -- "$pattern" err.txt || fail "stderr of '$*' lacks '$pattern': $(cat err.txt)"
  [ "$(wc -l < err.txt)" -le 1 ] || fail "expected a one-line error from '$*', got: $(cat err.txt)"
}
