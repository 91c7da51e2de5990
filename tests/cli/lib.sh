# lib.sh — sourced by every tests/cli/*.sh scenario.
#
# Each scenario runs in its own empty state directory ($MACEXT_STATE) and
# records one line per assertion: "PASS <case>.<name>" or "FAIL ...", which
# tests/run.sh counts.  $MX is the macext binary under test (sanitized build);
# Apple tool names are links beside it ($BIN/kmutil, ...).
#
#   t NAME CMD...            CMD must exit 0
#   t_exit CODE NAME CMD...  CMD must exit with CODE
#   t_out NAME EXPECTED CMD...   CMD's stdout must equal EXPECTED exactly
#   t_grep NAME REGEX CMD...     CMD's stdout+stderr must match REGEX (grep -E)
#   t_json NAME JQ-LIKE-PY EXPECTED CMD...  see below
#   check_re NAME REGEX TEXT     TEXT must match REGEX (grep -E)
#   skip NAME WHY
set -u
: "${B:=build-check}"
BIN=$(cd "$(dirname "$0")/../../$B" 2>/dev/null && pwd) || BIN="$PWD/$B"
MX="$BIN/macext"
CASE=$(basename "$0" .sh)
TMP=$(mktemp -d "/tmp/macext-cli-$CASE-XXXXXX")
export MACEXT_STATE="$TMP/state"
unset MACEXT_DEVICE
TESTDATA=${MACEXT_TESTDATA:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/testdata}
[ -d "$TESTDATA" ] || TESTDATA=""
trap 'rm -rf "$TMP"' EXIT
export PATH="$BIN:$PATH"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Debian's python3 (it has python3-macholib; a pyenv shim in PATH is slow to start)
if [ -x /usr/bin/python3 ]; then python3() { /usr/bin/python3 "$@"; }; fi

_pass() { echo "PASS $CASE.$1"; }
_fail() { echo "FAIL $CASE.$1"; shift; for l in "$@"; do printf '  %s\n' "$l"; done; }

# Last command's outputs, for follow-up assertions.
OUT=""; ERR=""; RC=0
_run() { OUT=$("$@" 2>"$TMP/stderr"); RC=$?; ERR=$(cat "$TMP/stderr")
  # MACEXT_CAPTURE=DIR records every command with its outputs (to compare two builds)
  if [ -n "${MACEXT_CAPTURE:-}" ]; then
    printf '$ %s\nexit %s\n%s\n--- stderr\n%s\n' "$*" "$RC" "$OUT" "$ERR" >> "$MACEXT_CAPTURE/$CASE.txt"
  fi; }

t() { _n=$1; shift; _run "$@"
  if [ $RC -eq 0 ]; then _pass "$_n"; else _fail "$_n" "exit $RC: $*" "$ERR"; fi; }
t_exit() { _code=$1; _n=$2; shift 2; _run "$@"
  if [ $RC -eq "$_code" ]; then _pass "$_n"; else _fail "$_n" "exit $RC (wanted $_code): $*" "$OUT" "$ERR"; fi; }
t_out() { _n=$1; _want=$2; shift 2; _run "$@"
  if [ $RC -eq 0 ] && [ "$OUT" = "$_want" ]; then _pass "$_n"
  else _fail "$_n" "exit $RC: $*" "--- got:" "$OUT" "--- wanted:" "$_want" "$ERR"; fi; }
t_grep() { _n=$1; _re=$2; shift 2; _run "$@"
  if printf '%s\n%s\n' "$OUT" "$ERR" | grep -Eq -- "$_re"; then _pass "$_n"
  else _fail "$_n" "no match for /$_re/: $*" "$OUT" "$ERR"; fi; }
# t_json NAME EXPR WANT CMD...: EXPR is a Python expression over `j` (the parsed stdout)
t_json() { _n=$1; _expr=$2; _want=$3; shift 3; _run "$@"
  _got=$(printf '%s' "$OUT" | python3 -c "import json,sys
j=json.load(sys.stdin)
v=($_expr)
print(json.dumps(v) if not isinstance(v,str) else v)" 2>&1)
  if [ $RC -eq 0 ] && [ "$_got" = "$_want" ]; then _pass "$_n"
  else _fail "$_n" "exit $RC: $*" "$_expr = $_got, wanted $_want" "$ERR"; fi; }
# check_re NAME REGEX TEXT: TEXT (an earlier $OUT or $ERR) matches REGEX (grep -E).
# (Not `check NAME printf ... | grep`: there the pipe takes check's own output.)
check_re() { if printf '%s\n' "$3" | grep -Eq -- "$2"; then _pass "$1"; else _fail "$1" "no match for /$2/" "$3"; fi; }
# check NAME CONDITION-COMMAND: for assertions on files and earlier outputs
check() { _n=$1; shift; if "$@"; then _pass "$_n"; else _fail "$_n" "failed: $*"; fi; }
skip() { echo "SKIP $CASE.$1"; echo "  skipped: $2"; }
need_testdata() { [ -n "$TESTDATA" ] || { skip "$1" "../shared/testdata is absent"; return 1; }; }
