#!/usr/bin/env bash
# Instructions per request (issue 5): the gateway's user-space instructions for one request of
# each kind, counted by valgrind's callgrind — a figure that does not move with machine load,
# for comparing two builds where wrk's req/s cannot tell a 5% change from noise.
#
#   bash benches/icount.sh                  # builds release, 500 requests per row
#   N=200 DRAGOMAN_BIN=/tmp/old bash benches/icount.sh
#   KEEP_PROFILE=/tmp/prof bash benches/icount.sh   # also keeps each row's callgrind profile
#                                                   # (callgrind_annotate /tmp/prof/nocache.callgrind)
#
# It starts a reference camel backend and the gateway (benches/load/gateway.toml.in, under
# callgrind), sends 50 warm-up requests of a kind, zeroes the counters, sends N more one after
# another on one kept-alive connection (curl), and divides the instructions counted since by
# N. Kernel time (the socket calls) is not counted: the load bench's "sys" CPU column has it.
# Loopback only; every process it starts is stopped on exit. Installs valgrind and curl with
# apt-get when missing. Helpers shared with benches/load.sh: benches/lib.sh.

set -euo pipefail

N=${N:-500}
SCRIPT=icount.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=benches/lib.sh
source "$ROOT/benches/lib.sh"
[[ $N =~ ^[1-9][0-9]*$ ]] || { say "N must be a positive integer"; exit 2; }
STOP_SECONDS=30 # under callgrind the gateway is slow to stop

need valgrind
need curl
if ((${#MISSING[@]})); then apt_install "${MISSING[@]}"; fi
# shellcheck disable=SC2119  # no note after the build message
build_release

WORK=$(mktemp -d)
pick_port BACKEND_PORT
pick_port GATEWAY_PORT
pick_port ADMIN_PORT
from_template "$ROOT/benches/load/gateway.toml.in" "$WORK/gateway.toml" \
    BACKEND_PORT="$BACKEND_PORT" GATEWAY_PORT="$GATEWAY_PORT" ADMIN_PORT="$ADMIN_PORT" \
    CACHE_BYTES=67108864
DRAGOMAN_LOG=warn "$BIN" backend --style camel --listen "127.0.0.1:$BACKEND_PORT" >"$WORK/backend.log" 2>&1 &
BACKEND_PID=$!
PIDS+=("$BACKEND_PID")
DRAGOMAN_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.%p" \
    "$BIN" serve --config "$WORK/gateway.toml" >/dev/null 2>"$WORK/valgrind.log" &
GATEWAY_PID=$!
PIDS+=("$GATEWAY_PID")
wait_ready "$BACKEND_PID" "http://127.0.0.1:$BACKEND_PORT/__stats" || die "the backend did not start"
wait_ready "$GATEWAY_PID" "http://127.0.0.1:$ADMIN_PORT/healthz" 60 ||
    die "the gateway did not start under valgrind ($WORK/valgrind.log)"

# requests KIND COUNT: COUNT requests of KIND on one connection; prints their statuses
requests() {
    local kind=$1 count=$2 url args=(-s -H "Authorization: Bearer $GATEWAY_TOKEN") i
    case $kind in
    nocache) url="http://127.0.0.1:$GATEWAY_PORT/nocache/v1/users/user_$USER_ID" ;;
    hit) url="http://127.0.0.1:$GATEWAY_PORT/v1/users/user_$USER_ID" ;;
    put)
        url="http://127.0.0.1:$GATEWAY_PORT/v1/users/user_$USER_ID"
        args+=(-X PUT -H 'Content-Type: application/json' --data-binary "$ENVELOPE_PUT")
        ;;
    esac
    : >"$WORK/curl.cfg"
    for ((i = 0; i < count; i++)); do printf 'url = "%s"\noutput = /dev/null\n' "$url" >>"$WORK/curl.cfg"; done
    curl "${args[@]}" -w '%{http_code}\n' -K "$WORK/curl.cfg" | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}'
}

# instructions so far, summed over the dumps callgrind wrote for the gateway
dumped_ir() {
    local f total=0 ir
    for f in "$WORK"/cg."$GATEWAY_PID".*; do
        [[ -e $f ]] || continue
        ir=$(awk '/^summary:/ {print $2}' "$f")
        total=$((total + ${ir:-0}))
    done
    echo "$total"
}

declare -A LABEL=(
    [nocache]="translated GET, cache off (envelope client → camel backend)"
    [hit]="cache-hit GET"
    [put]="translated PUT"
)
ROWS=(nocache hit put)
declare -A IR STATUS
requests hit 1 >/dev/null # fills the cache for the hit row
for kind in "${ROWS[@]}"; do
    requests "$kind" 50 >/dev/null
    callgrind_control -z "$GATEWAY_PID" >/dev/null
    before=$(dumped_ir)
    STATUS[$kind]=$(requests "$kind" "$N")
    callgrind_control -d "$GATEWAY_PID" >/dev/null
    after=$(dumped_ir)
    IR[$kind]=$(((after - before) / N))
    if [[ -n ${KEEP_PROFILE:-} ]]; then
        mkdir -p "$KEEP_PROFILE"
        # shellcheck disable=SC2012  # the newest dump is this row's
        cp "$(ls -t "$WORK"/cg."$GATEWAY_PID".* | head -1)" "$KEEP_PROFILE/$kind.callgrind"
    fi
    say "${LABEL[$kind]}: ${IR[$kind]} instructions/request (${STATUS[$kind]% })"
done

# The translation alone (issue 11's "translation itself" figure): examples/translate_icount
# runs a gateway miss's body work — the camel upstream's bytes read, checked and made the
# canonical user, the envelope view, the success document — N times; its count with N and
# with 0 differ by N translations.
TRANSLATE_BIN=${TRANSLATE_BIN:-$ROOT/target/release/examples/translate_icount}
if [[ $TRANSLATE_BIN == "$ROOT/target/release/examples/translate_icount" ]]; then
    (cd "$ROOT" && cargo build --release --quiet --example translate_icount) ||
        die "cargo build --example translate_icount failed"
fi
collected() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$TRANSLATE_BIN" "$1" 2>&1 >/dev/null | awk '/Collected/ {print $4}'; }
T0=$(collected 0)
T1=$(collected "$N")
TRANSLATION=$(((T1 - T0) / N))
say "the translation alone (camel response → envelope document): $TRANSLATION instructions"

COMMIT=$(tree_commit)
echo "### Instructions per request — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT"
echo
echo "| request | instructions/request (user space) | statuses |"
echo "|---|--:|---|"
for kind in "${ROWS[@]}"; do
    echo "| ${LABEL[$kind]} | ${IR[$kind]} | ${STATUS[$kind]% } |"
done
echo "| the translation alone, per response (examples/translate_icount) | $TRANSLATION | — |"
for kind in "${ROWS[@]}"; do
    [[ ${STATUS[$kind]} == "$N×200 " ]] || die "${LABEL[$kind]}: not every request answered 200 (${STATUS[$kind]})"
done
