#!/usr/bin/env bash
# Runs every curl of README.md and docs/dialects/*.md, in order, against a fresh `npm start`, and
# checks each answer against the `# → …` line the page puts under it.
#
#   scripts/check-doc-curls.sh                       # every page
#   scripts/check-doc-curls.sh docs/dialects/x.md    # some pages, in the order given
#
# How a page is read: every ```sh block that contains `curl ` runs, in page order, in one bash per
# page (so `CODE=…` and `SESSION=…` carry from block to block). `http://localhost:3000` becomes
# the fresh server's URL; a line `TOKEN='<…>'` gets the app-otp user token `npm start` printed. A
# line `# → TEXT` checks that the last curl's answer contains TEXT, where `…` stands for any text.
# Blocks without curl (install, deploy, admin CLI) are not run.
#
# Ports: PORT, DYNAMODB_PORT, SES_PORT (default 3470, 8470, 8475, to stay clear of a running
# `npm start`). The server, its DynamoDB Local and its SES emulator are stopped on exit.
set -u
cd "$(dirname "$0")/.."

PORT=${PORT:-3470}
DYNAMODB_PORT=${DYNAMODB_PORT:-8470}
SES_PORT=${SES_PORT:-8475}
if [ $# -gt 0 ]; then FILES=("$@"); else FILES=(README.md docs/dialects/*.md); fi

WORK=$(mktemp -d)
LOG=$WORK/npm-start.log

# setsid: the server gets its own process group, so one signal reaches npm, tsx, the SES
# emulator and DynamoDB Local's java, as Ctrl-C does in a terminal.
PORT=$PORT DYNAMODB_PORT=$DYNAMODB_PORT SES_PORT=$SES_PORT setsid npm start >"$LOG" 2>&1 &
SERVER=$!

stop_server() {
  if kill -0 "$SERVER" 2>/dev/null; then
    kill -INT -- "-$SERVER" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.2; done
    kill -TERM -- "-$SERVER" 2>/dev/null
  fi
  wait "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 240); do
  grep -q 'Ctrl-C stops' "$LOG" && break
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "npm start exited:"; cat "$LOG"; exit 2
  fi
  sleep 0.5
done
grep -q 'Ctrl-C stops' "$LOG" || { echo "npm start did not come up in 120 s:"; cat "$LOG"; exit 2; }
TOKEN=$(grep -o "user-jwt-token: eyJ[^' ]*" "$LOG" | head -1 | sed 's/^user-jwt-token: //')

# What every page's script starts with: a curl that keeps its answer, and the check.
cat >"$WORK/prelude.sh" <<'EOF'
__LAST=$__WORK/last
: >"$__LAST"
curl() {
  command curl "$@" >"$__LAST"
  local rc=$?
  cat "$__LAST"; echo
  local label='' a
  for a in "$@"; do case $a in http*) label=${a%%\?*} ;; esac; done
  label=${label#http://127.0.0.1:*/}
  local method=POST
  case " $* " in *" -X PUT "*) method=PUT ;; *" -X DELETE "*) method=DELETE ;; *" -d "* | *" --data"*) method=POST ;; *) method=GET ;; esac
  # A file, not a variable: `X=$(curl …)` runs the curl in a subshell.
  echo "$method /$label" >"$__WORK/label"
  echo "RAN	$rc	$method /$label" >>"$__WORK/results"
  return $rc
}
__expect() {
  local rest=$1 pat='*' seg
  while [[ $rest == *…* ]]; do
    seg=${rest%%…*}
    pat+=$(printf '%q' "$seg")'*'
    rest=${rest#*…}
  done
  [ -n "$rest" ] && pat+=$(printf '%q' "$rest")
  pat+='*'
  local got label
  got=$(cat "$__LAST")
  label=$(cat "$__WORK/label")
  # shellcheck disable=SC2053
  if [[ $got == $pat ]]; then
    echo "PASS	$label	$1" >>"$__WORK/results"
  else
    echo "FAIL	$label	want: $1	got: ${got:0:300}" >>"$__WORK/results"
  fi
}
EOF

: >"$WORK/results"
for f in "${FILES[@]}"; do
  script=$WORK/page.sh
  {
    cat "$WORK/prelude.sh"
    # Extract the ```sh blocks that hold a curl, and rewrite them as described above.
    perl -e '
      my ($port, $token) = @ARGV; local $/; my $md = <STDIN>;
      while ($md =~ /^```sh\n(.*?)^```/msg) {
        my $b = $1;
        next unless $b =~ /\bcurl /;
        $b =~ s{http://localhost:3000}{http://127.0.0.1:$port}g;
        $b =~ s{^TOKEN=\x27<.*$}{TOKEN='"'"'$token'"'"'}mg;
        print $b, "\n";
      }' "$PORT" "$TOKEN" <"$f"
  } >"$script"
  # `# → TEXT` becomes a check (-CSD: read the arrow as one character).
  perl -CSD -i -pe 's/^# \x{2192} (.*)$/my $w=$1; $w =~ s{\x27}{\x27\\\x27\x27}g; "__expect \x27$w\x27"/e' "$script"
  echo "=== $f" >>"$WORK/results"
  __WORK=$WORK bash "$script" >"$WORK/page.out" 2>&1
done

pass=$(grep -c '^PASS' "$WORK/results")
fail=$(grep -c '^FAIL' "$WORK/results")
curlfail=$(awk -F'\t' '$1 == "RAN" && $2 != 0' "$WORK/results" | wc -l)
ran=$(grep -c '^RAN' "$WORK/results")
grep -v '^RAN	0	' "$WORK/results" | sed 's/^RAN	/CURL-EXIT	/'
echo "curls run: $ran (non-zero exit: $curlfail); answers checked: $((pass + fail)), passed: $pass, failed: $fail"
[ "$fail" -eq 0 ] && [ "$curlfail" -eq 0 ]
