# shellcheck shell=bash
# What benches/load.sh and benches/icount.sh both do, sourced by each after it has set
# SCRIPT (its name, for messages) and ROOT (the repository). Sourcing it sets the EXIT, INT
# and TERM traps that stop every process the script started.

say() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }
die() {
    say "error: $*"
    exit 2
}

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${DRAGOMAN_BIN:-$TARGET/release/dragoman}
# The seeded user the requests ask for (src/backends/seed.rs), and the key and an envelope PUT
# body the gateway of benches/load/gateway.toml.in accepts.
# shellcheck disable=SC2034  # used by the scripts
USER_ID=3c90c3cc-0d44-4b50-8888-8dd25736052a GATEWAY_TOKEN=in-bench
# shellcheck disable=SC2034
ENVELOPE_PUT='{"name":"John Doe","status":"active"}'

# ---------------------------------------------------------------------------------------
# Tools

MISSING=()
# need COMMAND [PACKAGE]: note PACKAGE (default: COMMAND) in MISSING when COMMAND is not on PATH.
need() { command -v "$1" >/dev/null 2>&1 || MISSING+=("${2:-$1}"); }

# apt_install PACKAGE...: apt-get update and install, without prompting, as root or through
# sudo -n. nginx-light becomes nginx where apt has no nginx-light (newer Debian).
apt_install() {
    local pkgs=("$@") sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "missing $*: run as root or install sudo"
        sudo=(sudo -n)
    fi
    say "installing $* with apt-get"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
        die "apt-get update failed"
    if [[ " $* " == *" nginx-light "* ]] && ! apt-cache show nginx-light >/dev/null 2>&1; then
        pkgs=("${pkgs[@]/nginx-light/nginx}")
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${pkgs[@]}" >/dev/null || die "apt-get install ${pkgs[*]} failed"
}

# build_release [NOTE]: cargo build --release in ROOT (NOTE, if any, in brackets after the
# message) unless DRAGOMAN_BIN names the binary; then BIN must be executable.
build_release() {
    if [[ -z ${DRAGOMAN_BIN:-} ]]; then
        say "building: cargo build --release --quiet${1:+ ($1)}"
        (cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
    fi
    [[ -x $BIN ]] || die "no executable dragoman at $BIN"
}

# tree_commit: the checkout's short commit, with " (with uncommitted changes)" when it has some.
tree_commit() {
    local commit
    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
        commit+=" (with uncommitted changes)"
    fi
    echo "$commit"
}

# from_template IN OUT KEY=VALUE...: IN with each @KEY@ replaced, written to OUT.
from_template() {
    local in=$1 out=$2 expr=() kv
    shift 2
    for kv in "$@"; do expr+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
    sed "${expr[@]}" "$in" >"$out"
    if grep -q '@[A-Z_]*@' "$out"; then die "unfilled placeholder in $out"; fi
}

# ---------------------------------------------------------------------------------------
# Processes we start, and stopping them (on any exit, Ctrl-C and kill included)

WORK=""       # the script's temporary directory, removed on exit
PIDS=()       # long-running services, stopped on exit in reverse order
CLIENT_PID="" # a load client run in progress, stopped first
STOP_SECONDS=5 # how long each service has to stop on SIGTERM before it gets SIGKILL

# True when PID is alive and still our own child (a reaped PID may have been reused).
ours() {
    local stat ppid
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    read -r _ ppid _ <<<"${stat##*) }" # after the command name: state ppid ...
    [[ $ppid == "$$" ]]
}

# stop_pid PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 5); reaps it.
stop_pid() {
    local pid=$1 limit=$((${2:-5} * 10)) i
    ours "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < limit; i++)); do
        ours "$pid" || break
        # a zombie is ours until reaped, but it is already gone
        [[ $(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) == Z ]] && break
        sleep 0.1
    done
    if ours "$pid" && [[ $(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) != Z ]]; then
        say "pid $pid did not stop on SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# forget_pid PID: take PID (stopped already) off PIDS.
forget_pid() {
    local keep=() p
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# wait_ready PID URL [SECONDS]: until URL answers anything over HTTP (SECONDS, default 10, at
# most); fails at once when PID is no longer running.
wait_ready() {
    local pid=$1 url=$2 i
    for ((i = 0; i < ${3:-10} * 10; i++)); do
        ours "$pid" || return 1
        if curl -s -o /dev/null --max-time 1 "$url"; then
            sleep 0.2
            ours "$pid"
            return
        fi
        sleep 0.1
    done
    return 1
}

# shellcheck disable=SC2317  # invoked by the trap below
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    [[ -n $CLIENT_PID ]] && stop_pid "$CLIENT_PID" 2
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" "$STOP_SECONDS"; done
    [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

# ---------------------------------------------------------------------------------------
# Loopback ports

TAKEN=" "
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# pick_port VAR: a free loopback port below Linux's ephemeral range (no clash with wrk's
# own outgoing connections), never handed out twice by this script.
pick_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 12000))
        [[ $TAKEN == *" $p "* ]] && continue
        port_in_use "$p" && continue
        TAKEN+="$p "
        printf -v "$1" '%s' "$p"
        return 0
    done
    die "no free loopback port found"
}
