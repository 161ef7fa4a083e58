#!/usr/bin/env bash
# Instructions per request (issue 5): the gateway's user-space instructions for one request of
# each kind, counted by valgrind's callgrind — a figure that does not move with machine load,
# for comparing two builds where wrk's req/s cannot tell a 5% change from noise.
#
#   bash benches/icount.sh                  # builds release, 500 requests per row
#   N=200 DRAGOMAN_BIN=/tmp/old bash benches/icount.sh
#
# It starts a reference camel backend and the gateway (benches/load/gateway.toml.in, under
# callgrind), sends 50 warm-up requests of a kind, zeroes the counters, sends N more one after
# another on one kept-alive connection (curl), and divides the instructions counted since by
# N. Kernel time (the socket calls) is not counted: the load bench's "sys" CPU column has it.
# Loopback only; every process it starts is stopped on exit. Installs valgrind and curl with
# apt-get when missing.

set -euo pipefail

N=${N:-500}
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "icount.sh: N must be a positive integer" >&2; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${DRAGOMAN_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/dragoman}
USER_ID=3c90c3cc-0d44-4b50-8888-8dd25736052a
TOKEN=in-bench
ENVELOPE_PUT='{"name":"John Doe","status":"active"}'

say() { printf 'icount.sh: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 2
}

missing=()
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if ((${#missing[@]})); then
    SUDO=()
    [[ $(id -u) -eq 0 ]] || SUDO=(sudo -n)
    say "installing ${missing[*]} with apt-get"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi
if [[ -z ${DRAGOMAN_BIN:-} ]]; then
    say "building: cargo build --release --quiet"
    (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
fi
[[ -x $BIN ]] || die "no executable dragoman at $BIN"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local rc=$? p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=benches/ports.sh
source "$ROOT/benches/ports.sh"
wait_for() { # URL SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        curl -s -o /dev/null --max-time 1 "$1" && return 0
        sleep 0.1
    done
    return 1
}

pick_port BACKEND_PORT
pick_port GATEWAY_PORT
pick_port ADMIN_PORT
sed -e "s|@BACKEND_PORT@|$BACKEND_PORT|g; s|@GATEWAY_PORT@|$GATEWAY_PORT|g; s|@ADMIN_PORT@|$ADMIN_PORT|g" \
    "$ROOT/benches/load/gateway.toml.in" >"$WORK/gateway.toml"
DRAGOMAN_LOG=warn "$BIN" backend --style camel --listen "127.0.0.1:$BACKEND_PORT" >"$WORK/backend.log" 2>&1 &
PIDS+=($!)
DRAGOMAN_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.%p" \
    "$BIN" serve --config "$WORK/gateway.toml" >/dev/null 2>"$WORK/valgrind.log" &
GATEWAY_PID=$!
PIDS+=("$GATEWAY_PID")
wait_for "http://127.0.0.1:$BACKEND_PORT/__stats" 10 || die "the backend did not start"
wait_for "http://127.0.0.1:$ADMIN_PORT/healthz" 60 || die "the gateway did not start under valgrind ($WORK/valgrind.log)"

# requests KIND COUNT: COUNT requests of KIND on one connection; prints their statuses
requests() {
    local kind=$1 count=$2 url args=(-s -H "Authorization: Bearer $TOKEN") i
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
    say "${LABEL[$kind]}: ${IR[$kind]} instructions/request (${STATUS[$kind]% })"
done

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]] && COMMIT+=" (with uncommitted changes)"
echo "### Instructions per request — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT"
echo
echo "| request | instructions/request (user space) | statuses |"
echo "|---|--:|---|"
for kind in "${ROWS[@]}"; do
    echo "| ${LABEL[$kind]} | ${IR[$kind]} | ${STATUS[$kind]% } |"
done
for kind in "${ROWS[@]}"; do
    [[ ${STATUS[$kind]} == "$N×200 " ]] || die "${LABEL[$kind]}: not every request answered 200 (${STATUS[$kind]})"
done
