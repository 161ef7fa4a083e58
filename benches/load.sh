#!/usr/bin/env bash
# The load bench (issue 5): how much does the gateway cost next to the backend alone and
# next to nginx as a plain reverse proxy? One command, loopback only, a few minutes:
#
#   bash benches/load.sh                         # defaults: wrk -t1 -c16 -d10s, 2 s warm-up
#   DURATION=3s WARMUP=0 bash benches/load.sh    # a quick look
#
# It builds the release binary, starts one reference `camel` backend, the gateway (one proxy
# worker thread, so figures are per core) with an envelope route to that backend (cached)
# and the same route under /nocache (cache off), and nginx (one worker, proxy_pass with
# upstream keep-alive). Each case is driven by wrk with the same settings; the result is one
# Markdown table (also written to target/load-bench/results.md, with every wrk output).
# Every process it starts is stopped on exit, Ctrl-C included. Exit status 1 when a row saw
# errors (non-2xx responses, socket errors, a failed pre-flight request).
#
# Environment: DURATION (wrk -d, default 10s), CONNS (wrk -c, 16), WRK_THREADS (wrk -t, 1),
# WARMUP (wrk run before each measured one, 2s; 0 = none), DRAGOMAN_BIN (bench this binary
# instead of building target/release/dragoman), PIN (1 = pin with taskset: wrk and the
# backend on core 0, the proxy under test — nginx or the gateway — alone on core 1; the
# default when there are at least 2 cores; 0 = let the scheduler place everything).
# FILL_CACHE_MIB (the cache bound of the random-id fill row, default 256).
# Files: benches/load/gateway.toml.in, nginx.conf.in (templates), put.lua (wrk PUT script),
# random_ids.lua (the fill row's wrk script),
# camel_to_envelope.js (the njs peer), examples/bare_pingora.rs (the pingora floor);
# benches/lib.sh (helpers shared with benches/icount.sh).
# ROUNDS=3 measures each row three times back to back and reports the medians (issue 11's
# figures are medians of three).
# Installs wrk, nginx-light, libnginx-mod-http-js, curl and cmake with apt-get when missing
# (root, or sudo -n).

set -euo pipefail

DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
WRK_THREADS=${WRK_THREADS:-1}
WARMUP=${WARMUP:-2s}
PIN=${PIN:-auto}
ROUNDS=${ROUNDS:-1}

SCRIPT=load.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=benches/lib.sh
source "$ROOT/benches/lib.sh"
HERE=$ROOT/benches/load
OUT=$TARGET/load-bench
BACKEND_TOKEN=demo-camel-backend
CAMEL_PUT='{"firstName":"John","lastName":"Doe","status":"active"}'
if [[ $PIN == auto ]]; then
    PIN=0
    if (($(nproc) >= 2)) && command -v taskset >/dev/null 2>&1; then PIN=1; fi
fi
[[ $PIN == 0 || $PIN == 1 ]] || { say "PIN must be 0 or 1 (got '$PIN')"; exit 2; }
COMMAND="DURATION=$DURATION CONNS=$CONNS WRK_THREADS=$WRK_THREADS WARMUP=$WARMUP PIN=$PIN ROUNDS=$ROUNDS${DRAGOMAN_BIN:+ DRAGOMAN_BIN=$DRAGOMAN_BIN} bash benches/load.sh"

duration_ok() { [[ $1 =~ ^[0-9]+[smh]?$ ]]; }
if ! duration_ok "$DURATION" || ((10#${DURATION%[smh]} == 0)); then
    die "DURATION must look like 10s, 90 or 2m (got '$DURATION')"
fi
duration_ok "$WARMUP" || die "WARMUP must look like 2s or 0 (got '$WARMUP')"
[[ $CONNS =~ ^[1-9][0-9]*$ && $WRK_THREADS =~ ^[1-9][0-9]*$ ]] || die "CONNS and WRK_THREADS must be positive integers"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer (got '$ROUNDS')"
((CONNS >= WRK_THREADS)) || die "CONNS ($CONNS) must be at least WRK_THREADS ($WRK_THREADS)"

# ---------------------------------------------------------------------------------------
# How processes are started (benches/lib.sh stops them on any exit, Ctrl-C and kill included)

# Even a SIGKILL of this script must not leave servers behind: each child gets SIGTERM when
# the script dies (setpriv --pdeathsig, util-linux; it execs, so $! stays the server's pid).
ORPHAN_GUARD=()
if setpriv --help 2>&1 | grep -q -- --pdeathsig; then ORPHAN_GUARD=(setpriv --pdeathsig TERM); fi
# Pinning (taskset execs too): the load side and the proxy under test never share a core,
# so a row measures the proxy's own core rather than how the scheduler mixed four processes.
ON_LOAD=() ON_PROXY=()
if ((PIN)); then
    command -v taskset >/dev/null 2>&1 || die "PIN=1 needs taskset (util-linux)"
    ON_LOAD=(taskset -c 0) ON_PROXY=(taskset -c 1)
fi

# ---------------------------------------------------------------------------------------
# Tools

NGINX=$(command -v nginx 2>/dev/null || true)
[[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
need wrk
[[ -n $NGINX ]] || MISSING+=(nginx-light)
NJS_MODULE=/usr/lib/nginx/modules/ngx_http_js_module.so
[[ -f $NJS_MODULE ]] || MISSING+=(libnginx-mod-http-js)
need curl
[[ -x $BIN ]] || need cmake # pingora's build needs it
if ((${#MISSING[@]})); then
    apt_install "${MISSING[@]}"
    NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
fi
[[ -x $NGINX ]] || die "nginx not found after installing it"

cd "$ROOT"
[[ -z ${DRAGOMAN_BIN:-} ]] || say "using DRAGOMAN_BIN=$BIN (no build)"
build_release "a clean build takes ~5 min on 2 cores"
# The bare-pingora floor (examples/bare_pingora.rs); BARE_PINGORA_BIN skips the build.
BARE=${BARE_PINGORA_BIN:-$TARGET/release/examples/bare_pingora}
if [[ -z ${BARE_PINGORA_BIN:-} ]]; then
    say "building: cargo build --release --example bare_pingora"
    cargo build --release --quiet --example bare_pingora || die "cargo build --example bare_pingora failed"
fi
[[ -x $BARE ]] || die "no executable bare_pingora at $BARE"

mkdir -p "$OUT"
exec 9>"$OUT/.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
    die "another load bench is running (lock $OUT/.lock); two at once would measure each other"
fi
rm -rf "$OUT"/*.txt "$OUT"/results.md "$OUT"/run.* # run.*: left by a run that was SIGKILLed
WORK=$(mktemp -d "$OUT/run.XXXXXX") # configs, logs, nginx's prefix; removed on exit
chmod 755 "$WORK"                   # nginx's worker may run as another user

# ---------------------------------------------------------------------------------------
# /proc figures

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
# cpu_ticks PID...: "user system" CPU ticks of these processes and their direct children.
cpu_ticks() {
    local user=0 sys=0 pid rest child=() u s
    local pids=("$@")
    for pid in "$@"; do
        read -r -a child <<<"$(cat /proc/"$pid"/task/*/children 2>/dev/null)"
        pids+=("${child[@]}")
    done
    for pid in "${pids[@]}"; do
        rest=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        rest=${rest##*) }
        # fields after the command: state(3) ppid(4) ... utime(14) stime(15)
        read -r u s < <(awk '{print $12, $13}' <<<"$rest")
        user=$((user + u)) sys=$((sys + s))
    done
    echo "$user $sys"
}
# busy_ticks: non-idle CPU ticks of the whole machine (all cores)
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# child_ticks VAR: CPU ticks of this shell's finished children (wrk) into VAR. `times` must
# run in this shell, not in a $(...) subshell (whose children are not ours).
child_ticks() {
    times >"$WORK/times"
    printf -v "$1" '%s' "$(awk -v hz="$CLK_TCK" 'NR == 2 {
        for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
        printf "%.0f", t * hz }' "$WORK/times")"
}
# mem_kib PID FIELD: VmHWM / VmRSS of PID in KiB
mem_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || true; }
mib() { awk -v k="$1" 'BEGIN { if (k == "") print "n/a"; else printf "%.1f MiB", k / 1024 }'; }

# ---------------------------------------------------------------------------------------
# The services

BACKEND_PID="" BACKEND_PORT=""
start_backend() {
    local attempt
    for attempt in 1 2 3; do
        pick_port BACKEND_PORT
        DRAGOMAN_LOG=warn "${ORPHAN_GUARD[@]}" "${ON_LOAD[@]}" "$BIN" backend --style camel --any-id --listen "127.0.0.1:$BACKEND_PORT" \
            >"$WORK/backend.log" 2>&1 &
        BACKEND_PID=$!
        PIDS+=("$BACKEND_PID")
        wait_ready "$BACKEND_PID" "http://127.0.0.1:$BACKEND_PORT/__stats" && return 0
        say "backend did not start (attempt $attempt):"
        tail -n 5 "$WORK/backend.log" >&2
        stop_pid "$BACKEND_PID"
        forget_pid "$BACKEND_PID"
    done
    die "the reference backend would not start"
}

NGINX_PID="" NGINX_PORT=""
start_nginx() {
    local attempt
    for attempt in 1 2 3; do
        pick_port NGINX_PORT
        from_template "$HERE/nginx.conf.in" "$WORK/nginx.conf" \
            PREFIX="$WORK" NGINX_PORT="$NGINX_PORT" BACKEND_PORT="$BACKEND_PORT" \
            NJS_MODULE="$NJS_MODULE" HERE="$HERE"
        "${ORPHAN_GUARD[@]}" "${ON_PROXY[@]}" "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log" \
            >"$WORK/nginx.out" 2>&1 &
        NGINX_PID=$!
        PIDS+=("$NGINX_PID")
        wait_ready "$NGINX_PID" "http://127.0.0.1:$NGINX_PORT/__stats" && return 0
        say "nginx did not start (attempt $attempt):"
        tail -n 5 "$WORK/nginx.out" "$WORK/nginx-error.log" >&2 2>/dev/null || true
        stop_pid "$NGINX_PID"
        forget_pid "$NGINX_PID"
    done
    die "nginx would not start"
}

# start_bare MODE VAR_PID VAR_PORT: examples/bare_pingora in MODE (fixed | proxy) on core 1.
start_bare() {
    local mode=$1 attempt port pid args
    for attempt in 1 2 3; do
        pick_port port
        args=("$mode" "127.0.0.1:$port")
        [[ $mode == proxy ]] && args+=("127.0.0.1:$BACKEND_PORT")
        "${ORPHAN_GUARD[@]}" "${ON_PROXY[@]}" "$BARE" "${args[@]}" >"$WORK/bare-$mode.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        if wait_ready "$pid" "http://127.0.0.1:$port/api/users/$USER_ID"; then
            printf -v "$2" '%s' "$pid"
            printf -v "$3" '%s' "$port"
            return 0
        fi
        say "bare pingora ($mode) did not start (attempt $attempt):"
        tail -n 5 "$WORK/bare-$mode.log" >&2
        stop_pid "$pid"
        forget_pid "$pid"
    done
    die "bare pingora ($mode) would not start"
}

GATEWAY_PID="" GATEWAY_PORT="" ADMIN_PORT=""
# start_gateway LOG_LEVEL STDERR_FILE [CACHE_BYTES]
start_gateway() {
    local level=$1 errfile=$2 cache_bytes=${3:-67108864} attempt
    for attempt in 1 2 3; do
        pick_port GATEWAY_PORT
        pick_port ADMIN_PORT
        from_template "$HERE/gateway.toml.in" "$WORK/gateway.toml" \
            BACKEND_PORT="$BACKEND_PORT" GATEWAY_PORT="$GATEWAY_PORT" ADMIN_PORT="$ADMIN_PORT" \
            CACHE_BYTES="$cache_bytes"
        cp "$WORK/gateway.toml" "$OUT/gateway.toml"
        DRAGOMAN_LOG=$level "${ORPHAN_GUARD[@]}" "${ON_PROXY[@]}" "$BIN" serve --config "$WORK/gateway.toml" 2>"$errfile" >/dev/null &
        GATEWAY_PID=$!
        PIDS+=("$GATEWAY_PID")
        if wait_ready "$GATEWAY_PID" "http://127.0.0.1:$GATEWAY_PORT/" &&
            wait_ready "$GATEWAY_PID" "http://127.0.0.1:$ADMIN_PORT/healthz"; then
            return 0
        fi
        say "gateway did not start (attempt $attempt):"
        [[ -f $errfile ]] && tail -n 5 "$errfile" >&2
        stop_pid "$GATEWAY_PID"
        forget_pid "$GATEWAY_PID"
    done
    die "the gateway would not start"
}

# backend_count: the backend's request counter (empty when it cannot be read)
backend_count() {
    curl -s --max-time 2 "http://127.0.0.1:$BACKEND_PORT/__stats" |
        sed -n 's/.*"requests"[^0-9]*\([0-9]*\).*/\1/p' || true
}

# ---------------------------------------------------------------------------------------
# One row: a pre-flight request, a warm-up, the measured wrk run, its figures.

declare -A OTHER LABEL RPS P50 P99 NON2XX SOCKERR PROXY_CPU BACKEND_CPU CALLS NOTE KIND
ROWS=()
FLAGGED=0
NOISY=0

# probe METHOD URL TOKEN BODY -> PROBE_STATUS, PROBE_XCACHE
probe() {
    local args=(-s -o "$WORK/probe.body" -D "$WORK/probe.headers" -w '%{http_code}' --max-time 5
        -X "$1" -H "Authorization: Bearer $3")
    [[ -n $4 ]] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
    : >"$WORK/probe.headers"
    PROBE_STATUS=$(curl "${args[@]}" "$2") || PROBE_STATUS="curl failed"
    PROBE_XCACHE=$(awk -F': *' 'tolower($1) == "x-cache" {sub(/\r$/, "", $2); print $2}' \
        "$WORK/probe.headers")
}

# run_wrk OUTFILE DURATION METHOD URL TOKEN BODY: wrk in the background, so a signal
# reaches our trap at once instead of after the run.
run_wrk() {
    local out=$1 dur=$2 method=$3 url=$4 token=$5 body=$6 rc=0
    # ROW_CONNS (set for one row) overrides CONNS: the one-connection latency rows.
    local conns=${ROW_CONNS:-$CONNS} threads=$WRK_THREADS
    ((threads <= conns)) || threads=$conns
    local args=(-t"$threads" -c"$conns" -d"$dur" --latency --timeout 2s
        -H "Authorization: Bearer $token")
    [[ $method == PUT ]] && args+=(-s "$HERE/put.lua")
    [[ $method == FILL ]] && args+=(-s "$HERE/random_ids.lua")
    WRK_BODY=$body "${ORPHAN_GUARD[@]}" "${ON_LOAD[@]}" wrk "${args[@]}" "$url" >"$out" 2>&1 &
    CLIENT_PID=$!
    wait "$CLIENT_PID" || rc=$?
    CLIENT_PID=""
    return "$rc"
}

# parse_wrk FILE -> "req/s p50_us p99_us requests non2xx socket_errors" (NaN when absent)
parse_wrk() {
    awk '
        function us(v,   n, u) {
            n = v; sub(/[a-z]+$/, "", n); u = substr(v, length(n) + 1)
            if (n == "" || n !~ /^[0-9.]+$/) return "NaN"
            if (u == "us") return n + 0
            if (u == "ms") return n * 1000
            if (u == "s")  return n * 1000000
            if (u == "m")  return n * 60000000
            if (u == "h")  return n * 3600000000
            return "NaN"
        }
        $1 == "50%"                     { p50 = us($2) }
        $1 == "99%"                     { p99 = us($2) }
        / requests in /                 { reqs = $1 }
        $1 == "Requests/sec:"           { rps = $2 }
        /Non-2xx or 3xx responses:/     { non2xx = $NF }
        $1 == "Socket" && $2 == "errors:" {
            for (i = 4; i <= NF; i += 2) { x = $i; sub(/,$/, "", x); sock += x }
        }
        END {
            printf "%s %s %s %s %d %d\n", (rps == "" ? "NaN" : rps),
                (p50 == "" ? "NaN" : sprintf("%.0f", p50)), (p99 == "" ? "NaN" : sprintf("%.0f", p99)),
                (reqs == "" ? "NaN" : reqs), non2xx, sock
        }' "$1"
}

# median_rounds: parse_wrk lines (one per round) -> one line: the median req/s, p50 and p99
# (the middle value; for an even count the lower middle), and the sums of the counts.
median_rounds() {
    awk '
        function med(a, n,   i, j, t) {
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return a[int((n + 1) / 2)]
        }
        { n++; r[n] = $1; p[n] = $2; q[n] = $3; if ($1 == "NaN" || $2 == "NaN" || $3 == "NaN" || $4 == "NaN") bad = 1; reqs += $4; non += $5; sock += $6 }
        END {
            if (n == 0 || bad) { print "NaN NaN NaN NaN", non + 0, sock + 0; exit }
            print med(r, n), med(p, n), med(q, n), reqs, non, sock
        }'
}

# row KEY KIND LABEL METHOD URL TOKEN BODY EXPECT_XCACHE PROXY_PID
#   KIND: direct | nginx | gateway (picks the ratio baselines); PROXY_PID: the process
#   under test (its CPU per request is reported; the backend's is reported separately).
row() {
    local key=$1 kind=$2 label=$3 method=$4 url=$5 token=$6 body=$7 xcache=$8 proxy=$9
    local note="" user_p0 sys_p0 user_p1 sys_p1 ticks_p0 ticks_b0 ticks_p1 ticks_b1 calls0 calls1 u s
    ROWS+=("$key")
    LABEL[$key]=$label
    KIND[$key]=$kind
    say "$label: $method $url"

    local probe_method=$method
    [[ $method == FILL ]] && probe_method=GET # the fill row's wrk script picks its own paths
    probe "$probe_method" "$url" "$token" "$body"
    if [[ $PROBE_STATUS != 2?? ]]; then
        note+="pre-flight $method answered $PROBE_STATUS: $(head -c 200 "$WORK/probe.body" 2>/dev/null || true); "
    elif [[ -n $xcache && $PROBE_XCACHE != "$xcache" ]]; then
        note+="pre-flight X-Cache was '${PROBE_XCACHE:-none}', expected $xcache; "
    fi

    if [[ $WARMUP != 0 && $WARMUP != 0[smh] ]]; then
        run_wrk "$OUT/$key.warmup.txt" "$WARMUP" "$method" "$url" "$token" "$body" ||
            note+="wrk warm-up failed; "
    fi

    calls0=$(backend_count)
    local busy0 busy1 wrk0 wrk1 wall0 wall1
    child_ticks wrk0
    busy0=$(busy_ticks) wall0=$(date +%s%N)
    read -r user_p0 sys_p0 < <(cpu_ticks "$proxy")
    read -r u s < <(cpu_ticks "$BACKEND_PID")
    ticks_p0=$((user_p0 + sys_p0)) ticks_b0=$((u + s))
    # ROUNDS measured runs back to back: req/s and latencies are their medians, counts and
    # CPU are over all of them.
    local round rounds=()
    for ((round = 1; round <= ROUNDS; round++)); do
        local file=$OUT/$key.txt
        ((ROUNDS == 1)) || file=$OUT/$key.round$round.txt
        rounds+=("$file")
        if ! run_wrk "$file" "$DURATION" "$method" "$url" "$token" "$body"; then
            note+="wrk failed: $(tail -n 2 "$file" 2>/dev/null | tr '\n' ' ' || true); "
        fi
    done
    read -r user_p1 sys_p1 < <(cpu_ticks "$proxy")
    read -r u s < <(cpu_ticks "$BACKEND_PID")
    ticks_p1=$((user_p1 + sys_p1)) ticks_b1=$((u + s))
    busy1=$(busy_ticks) wall1=$(date +%s%N)
    child_ticks wrk1
    calls1=$(backend_count)
    # CPU used by anything but wrk, the proxy and the backend during the run, in cores
    local ours_ticks=$((wrk1 - wrk0 + ticks_p1 - ticks_p0))
    [[ $proxy == "$BACKEND_PID" ]] || ours_ticks=$((ours_ticks + ticks_b1 - ticks_b0))
    OTHER[$key]=$(awk -v b=$((busy1 - busy0)) -v o="$ours_ticks" -v hz="$CLK_TCK" \
        -v ns=$((wall1 - wall0)) 'BEGIN { x = (b - o) / hz / (ns / 1e9); printf "%.2f", (x < 0 ? 0 : x) }')
    if awk -v x="${OTHER[$key]}" 'BEGIN { exit !(x > 0.25) }'; then NOISY=1; fi

    local rps p50 p99 reqs non2xx sock
    read -r rps p50 p99 reqs non2xx sock < <(for f in "${rounds[@]}"; do parse_wrk "$f"; done | median_rounds)
    RPS[$key]=$rps P50[$key]=$p50 P99[$key]=$p99
    NON2XX[$key]=$non2xx SOCKERR[$key]=$sock
    [[ $rps == NaN || $p50 == NaN || $p99 == NaN || $reqs == NaN ]] &&
        note+="could not parse wrk's output ($OUT/$key.txt); "
    ((non2xx > 0)) && note+="$non2xx non-2xx responses; "
    ((sock > 0)) && note+="$sock socket errors ($(grep 'Socket errors' "$OUT/$key.txt" | sed 's/^ *//' || true)); "

    # CPU per request (µs) and backend requests per request, over the measured run only
    local per="NaN"
    [[ $reqs != NaN && $reqs -gt 0 ]] && per=$reqs
    PROXY_CPU[$key]=$(awk -v u=$((user_p1 - user_p0)) -v s=$((sys_p1 - sys_p0)) -v hz="$CLK_TCK" -v n="$per" \
        'BEGIN { if (n == "NaN") print "NaN"; else printf "%.1f (%.0f + %.0f)", (u + s) / hz * 1e6 / n, u / hz * 1e6 / n, s / hz * 1e6 / n }')
    BACKEND_CPU[$key]=$(awk -v t=$((ticks_b1 - ticks_b0)) -v hz="$CLK_TCK" -v n="$per" \
        'BEGIN { if (n == "NaN") print "NaN"; else printf "%.1f", t / hz * 1e6 / n }')
    if [[ -n $calls0 && -n $calls1 && $per != NaN ]]; then
        CALLS[$key]=$(awk -v c=$((calls1 - calls0)) -v n="$per" 'BEGIN { printf "%.2f", c / n }')
    else
        CALLS[$key]="NaN"
    fi
    ours "$proxy" || note+="the process under test (pid $proxy) exited during the run; "
    # After the run, the gateway rows must still answer as expected (e.g. the cache stays hit).
    if [[ -n $xcache ]]; then
        probe "$probe_method" "$url" "$token" "$body"
        [[ $PROBE_XCACHE == "$xcache" ]] ||
            note+="after the run X-Cache was '${PROBE_XCACHE:-none}', expected $xcache; "
    fi
    NOTE[$key]=${note%; }
    if [[ -n $note ]]; then
        FLAGGED=1
        say "  ⚠ ${NOTE[$key]}"
    fi
    say "  $rps req/s, p50 ${p50} µs, p99 ${p99} µs, non-2xx $non2xx, socket errors $sock"
}

# ---------------------------------------------------------------------------------------
# Run

START_EPOCH=$(date +%s)
start_backend
start_nginx
start_gateway warn "$WORK/gateway.log"
start_bare fixed BARE_FIXED_PID BARE_FIXED_PORT
start_bare proxy BARE_PROXY_PID BARE_PROXY_PORT
say "backend 127.0.0.1:$BACKEND_PORT (pid $BACKEND_PID), nginx 127.0.0.1:$NGINX_PORT (pid $NGINX_PID)," \
    "gateway 127.0.0.1:$GATEWAY_PORT admin :$ADMIN_PORT (pid $GATEWAY_PID)," \
    "bare pingora :$BARE_FIXED_PORT (fixed) :$BARE_PROXY_PORT (proxy)"

B=http://127.0.0.1:$BACKEND_PORT
N=http://127.0.0.1:$NGINX_PORT
G=http://127.0.0.1:$GATEWAY_PORT

row get_direct direct "direct backend GET" GET "$B/api/users/$USER_ID" \
    "$BACKEND_TOKEN" "" "" "$BACKEND_PID"
row get_nginx nginx "nginx proxy_pass GET" GET "$N/api/users/$USER_ID" \
    "$BACKEND_TOKEN" "" "" "$NGINX_PID"
# Latency at one connection (nothing queues): the direct backend and nginx, the gateway below.
ROW_CONNS=1 row c1_direct direct "direct backend GET, 1 connection" GET "$B/api/users/$USER_ID" \
    "$BACKEND_TOKEN" "" "" "$BACKEND_PID"
ROW_CONNS=1 row c1_nginx nginx "nginx proxy_pass GET, 1 connection" GET "$N/api/users/$USER_ID" \
    "$BACKEND_TOKEN" "" "" "$NGINX_PID"
# The peers: nginx's cache (warmed: every measured request a hit), nginx + njs doing the same
# camel -> envelope translation, and pingora with nothing of ours (fixed body; proxy_pass).
probe GET "$N/cached/api/users/$USER_ID" "$BACKEND_TOKEN" ""
row get_nginx_cache nginx "nginx proxy_cache GET, every request a hit" GET "$N/cached/api/users/$USER_ID" \
    "$BACKEND_TOKEN" "" HIT "$NGINX_PID"
row get_njs nginx "nginx + njs camel → envelope GET" GET "$N/njs/v1/users/user_$USER_ID" \
    "$BACKEND_TOKEN" "" "" "$NGINX_PID"
row get_bare_fixed pingora "bare pingora, fixed body from request_filter" GET \
    "http://127.0.0.1:$BARE_FIXED_PORT/api/users/$USER_ID" "$BACKEND_TOKEN" "" "" "$BARE_FIXED_PID"
row get_bare_proxy pingora "bare pingora proxy_pass GET" GET \
    "http://127.0.0.1:$BARE_PROXY_PORT/api/users/$USER_ID" "$BACKEND_TOKEN" "" "" "$BARE_PROXY_PID"
stop_pid "$BARE_FIXED_PID"
forget_pid "$BARE_FIXED_PID"
stop_pid "$BARE_PROXY_PID"
forget_pid "$BARE_PROXY_PID"
row get_gw gateway "gateway translated GET, cache off" GET "$G/nocache/v1/users/user_$USER_ID" \
    "$GATEWAY_TOKEN" "" BYPASS "$GATEWAY_PID"
# warm the cache: the first GET fills it, the pre-flight of the row must then be a HIT
probe GET "$G/v1/users/user_$USER_ID" "$GATEWAY_TOKEN" ""
row get_hit gateway "gateway cache-hit GET" GET "$G/v1/users/user_$USER_ID" \
    "$GATEWAY_TOKEN" "" HIT "$GATEWAY_PID"
row put_gw gateway "gateway translated PUT" PUT "$G/v1/users/user_$USER_ID" \
    "$GATEWAY_TOKEN" "$ENVELOPE_PUT" "" "$GATEWAY_PID"
row put_direct direct "direct backend PUT" PUT "$B/api/users/$USER_ID" \
    "$BACKEND_TOKEN" "$CAMEL_PUT" "" "$BACKEND_PID"
row put_nginx nginx "nginx proxy_pass PUT" PUT "$N/api/users/$USER_ID" \
    "$BACKEND_TOKEN" "$CAMEL_PUT" "" "$NGINX_PID"

GW_HWM=$(mem_kib "$GATEWAY_PID" VmHWM)
GW_RSS=$(mem_kib "$GATEWAY_PID" VmRSS)
NGINX_WORKER=$(cat /proc/"$NGINX_PID"/task/*/children 2>/dev/null | awk '{print $1}' || true)
NGINX_HWM=""
[[ -z $NGINX_WORKER ]] || NGINX_HWM=$(mem_kib "$NGINX_WORKER" VmHWM)
BACKEND_HWM=$(mem_kib "$BACKEND_PID" VmHWM)
GATEWAY_ERRORS=$(grep -c -E ' (WARN|ERROR) ' "$WORK/gateway.log" || true)
cp "$WORK/gateway.log" "$OUT/gateway.log"
stop_pid "$GATEWAY_PID"
forget_pid "$GATEWAY_PID"

# The same translated GET with the access log on (info level, stderr to /dev/null).
start_gateway info /dev/null
G=http://127.0.0.1:$GATEWAY_PORT
row get_gw_log gateway "gateway translated GET, cache off, access log on" GET \
    "$G/nocache/v1/users/user_$USER_ID" "$GATEWAY_TOKEN" "" BYPASS "$GATEWAY_PID"
ROW_CONNS=1 row c1_gw gateway "gateway translated GET, 1 connection, access log on" GET \
    "$G/nocache/v1/users/user_$USER_ID" "$GATEWAY_TOKEN" "" BYPASS "$GATEWAY_PID"
probe GET "$G/v1/users/user_$USER_ID" "$GATEWAY_TOKEN" ""
row get_hit_log gateway "gateway cache-hit GET, access log on" GET "$G/v1/users/user_$USER_ID" \
    "$GATEWAY_TOKEN" "" HIT "$GATEWAY_PID"
row put_gw_log gateway "gateway translated PUT, access log on" PUT "$G/v1/users/user_$USER_ID" \
    "$GATEWAY_TOKEN" "$ENVELOPE_PUT" "" "$GATEWAY_PID"
GW_LOG_HWM=$(mem_kib "$GATEWAY_PID" VmHWM)
stop_pid "$GATEWAY_PID"
forget_pid "$GATEWAY_PID"

# The cache filled with users of random ids (issue 11's memory targets): a fresh gateway with a
# FILL_CACHE_MIB cache, access log on, every request another user (the backend answers any
# id), then the cache's own count and weighed bytes from the admin metrics and the gateway's
# peak RSS. A seed user's weight is read first, from a one-entry cache.
FILL_CACHE_MIB=${FILL_CACHE_MIB:-256}
start_gateway info /dev/null $((FILL_CACHE_MIB * 1024 * 1024))
G=http://127.0.0.1:$GATEWAY_PORT
A=http://127.0.0.1:$ADMIN_PORT
# metric NAME: a gauge of the gateway's admin /metrics (empty when absent)
metric() { { curl -s --max-time 5 "$A/metrics" || true; } | awk -v m="$1" '$1 == m {v = $2} END {print v}'; }
FILL_RSS0=$(mem_kib "$GATEWAY_PID" VmRSS)
probe GET "$G/v1/users/user_$USER_ID" "$GATEWAY_TOKEN" ""
SEED_WEIGHT=$(metric dragoman_cache_bytes)
row get_fill gateway "gateway cache fill: every GET a new user (random ids), access log on" FILL \
    "$G/v1/users/user_$USER_ID" "$GATEWAY_TOKEN" "" "" "$GATEWAY_PID"
FILL_ENTRIES=$(metric dragoman_cache_entries)
FILL_BYTES=$(metric dragoman_cache_bytes)
FILL_HWM=$(mem_kib "$GATEWAY_PID" VmHWM)
FILL_RSS1=$(mem_kib "$GATEWAY_PID" VmRSS)
stop_pid "$GATEWAY_PID"
forget_pid "$GATEWAY_PID"
ELAPSED=$(($(date +%s) - START_EPOCH))

# ---------------------------------------------------------------------------------------
# Report (benches/load/report.sh: the table, the peers' ratios, the flags; exits FLAGGED)

# shellcheck source=benches/load/report.sh
source "$HERE/report.sh"
