# shellcheck shell=bash
# shellcheck disable=SC2153  # every name here is assigned by load.sh, which sources this
# The report of benches/load.sh, sourced at its end: one Markdown table of every row, the
# ratios against the peers that issue 11 sets targets for, and the rows with problems; also
# written to target/load-bench/results.md. It reads load.sh's arrays and variables.


ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NaN" || b == "NaN" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
num() { awk -v x="$1" 'BEGIN { if (x == "NaN") print "n/a"; else printf "%.0f", x }'; }

CPU_MODEL=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
COMMIT=$(tree_commit)
if [[ -n ${DRAGOMAN_BIN:-} ]]; then
    COMMIT="a prebuilt binary ($BIN, $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')); the tree is at $COMMIT"
else
    COMMIT="commit $COMMIT"
fi
NGINX_VERSION=$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')
njs_version() { dpkg-query -W -f '${Version}' libnginx-mod-http-js 2>/dev/null || echo "(version unknown)"; }
WRK_VERSION=$(wrk -v 2>&1 | awk 'NR == 1 {print $2}' || true) # wrk -v exits 1

if ((PIN)); then
    PLACEMENT="pinned: wrk and the backend on core 0, the proxy under test (nginx or the gateway) alone on core 1"
else
    PLACEMENT="wrk, the proxy and the backend share the $(nproc) cores (nothing pinned)"
fi
{
    echo "### Load bench — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- command: \`$COMMAND\` (${ELAPSED} s); $COMMIT"
    echo "- machine: $(nproc) cores ($CPU_MODEL), $MEM_TOTAL RAM, Linux $(uname -r)"
    echo "- each row: \`wrk -t$WRK_THREADS -c$CONNS -d$DURATION --latency\` on 127.0.0.1" \
        "(wrk $WRK_VERSION), after a $WARMUP warm-up; $PLACEMENT; rows marked \"1 connection\" at -c1;" \
        "$(if ((ROUNDS > 1)); then echo "$ROUNDS rounds per row: req/s and latencies are their medians"; else echo "one round per row (ROUNDS=3 for medians)"; fi)"
    echo "- gateway: \`dragoman serve\`, 1 proxy worker thread, envelope clients → camel backend;" \
        "**access log off** (\`DRAGOMAN_LOG=warn\`) except the last three rows (\`DRAGOMAN_LOG=info\`, stderr to /dev/null)"
    echo "- backend: \`dragoman backend --style camel\` (hyper, tokio default worker threads);" \
        "nginx $NGINX_VERSION: 1 worker, access_log off, \`proxy_pass\` with \`keepalive 32\`, HTTP/1.1 upstream;" \
        "proxy_cache in a 64 MiB zone; njs $(njs_version) running benches/load/camel_to_envelope.js (subrequest);" \
        "bare pingora: examples/bare_pingora.rs, 1 worker thread, no log"
    echo "- peak RSS (VmHWM): gateway $(mib "$GW_HWM") (RSS $(mib "$GW_RSS") after its rows;" \
        "$(mib "$GW_LOG_HWM") for the access-log run), nginx worker $(mib "$NGINX_HWM"), backend $(mib "$BACKEND_HWM")"
    echo
    echo "| case | req/s | p50 µs | p99 µs | vs direct | vs nginx | proxy CPU µs/req (user + sys) | backend CPU µs/req | backend calls/req | non-2xx | socket errors | other CPU (cores) |"
    echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    for key in "${ROWS[@]}"; do
        method=${key%%_*}
        direct=${method}_direct nginx=${method}_nginx
        vs_direct=$(ratio "${RPS[$key]}" "${RPS[$direct]:-NaN}")
        vs_nginx=$(ratio "${RPS[$key]}" "${RPS[$nginx]:-NaN}")
        proxy_cpu=${PROXY_CPU[$key]}
        case ${KIND[$key]} in
        direct)
            vs_nginx="—"
            proxy_cpu="—"
            ;;
        esac
        flag=""
        [[ -n ${NOTE[$key]} ]] && flag=" ⚠"
        printf '| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
            "${LABEL[$key]}" "$flag" "$(num "${RPS[$key]}")" "$(num "${P50[$key]}")" \
            "$(num "${P99[$key]}")" "$vs_direct" "$vs_nginx" "$proxy_cpu" \
            "${BACKEND_CPU[$key]}" "${CALLS[$key]}" "${NON2XX[$key]}" "${SOCKERR[$key]}" "${OTHER[$key]}"
    done
    echo
    echo "Ratios are req/s over the direct backend (or nginx) with the same method. CPU µs/req is the" \
        "CPU time of the process under test (nginx: master and worker; direct rows: the backend)" \
        "over the measured run divided by its requests, total (user + system) — the steadier figure on a" \
        "shared box: a proxy alone on its core tops out near 1e6 / (its CPU µs/req) req/s." \
        "Other CPU: what the rest of the machine used during the run (all of it minus wrk, the proxy and the backend)."
    echo
    echo "Against the peers, in this run (issue 11's targets):"
    echo "(the gateway with its access log on, as shipped; in brackets with it off; nginx's peers with theirs off)"
    echo "- translated GET ÷ nginx + njs: $(ratio "${RPS[get_gw_log]:-NaN}" "${RPS[get_njs]:-NaN}")" \
        "($(ratio "${RPS[get_gw]}" "${RPS[get_njs]:-NaN}")) — target ≥ 1.2, stretch 1.5"
    echo "- translated GET ÷ bare pingora proxy_pass: $(ratio "${RPS[get_gw_log]:-NaN}" "${RPS[get_bare_proxy]:-NaN}")" \
        "($(ratio "${RPS[get_gw]}" "${RPS[get_bare_proxy]:-NaN}"))"
    echo "- cache-hit GET ÷ nginx proxy_cache: $(ratio "${RPS[get_hit_log]:-NaN}" "${RPS[get_nginx_cache]:-NaN}")" \
        "($(ratio "${RPS[get_hit]}" "${RPS[get_nginx_cache]:-NaN}")) — target ≥ 0.8, stretch 1.0"
    echo "- cache-hit GET ÷ bare pingora fixed body: $(ratio "${RPS[get_hit_log]:-NaN}" "${RPS[get_bare_fixed]:-NaN}")" \
        "($(ratio "${RPS[get_hit]}" "${RPS[get_bare_fixed]:-NaN}"))"
    added() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NaN" || b == "NaN") print "n/a"; else printf "%+.0f µs", a - b }'; }
    echo "- added p50 at one connection over the direct backend: gateway translated GET" \
        "$(added "${P50[c1_gw]:-NaN}" "${P50[c1_direct]:-NaN}"), nginx proxy_pass" \
        "$(added "${P50[c1_nginx]:-NaN}" "${P50[c1_direct]:-NaN}") — target ≤ 60 µs for the gateway"
    echo "- translated PUT ÷ translated GET: $(ratio "${RPS[put_gw_log]:-NaN}" "${RPS[get_gw_log]:-NaN}")" \
        "($(ratio "${RPS[put_gw]}" "${RPS[get_gw]}")) — target ≥ 0.9"
    echo
    echo "Memory (issue 11's targets), from the fill row: a ${FILL_CACHE_MIB} MiB cache after ${DURATION} of GETs of random ids:"
    echo "- cache weight of one seed user: ${SEED_WEIGHT:-n/a} bytes — target ≤ 1536"
    echo "- entries ${FILL_ENTRIES:-n/a}, weighed $(mib "$(awk -v b="${FILL_BYTES:-}" 'BEGIN { if (b == "") print ""; else print b / 1024 }')")," \
        "$(awk -v b="${FILL_BYTES:-}" -v n="${FILL_ENTRIES:-}" 'BEGIN { if (b == "" || n == "" || n == 0) print "n/a"; else printf "%.0f", b / n }') bytes an entry;" \
        "RSS grew $(mib "$(awk -v a="${FILL_RSS0:-}" -v b="${FILL_RSS1:-}" 'BEGIN { if (a == "" || b == "") print ""; else print b - a }')")" \
        "($(awk -v a="${FILL_RSS0:-}" -v b="${FILL_RSS1:-}" -v n="${FILL_ENTRIES:-}" 'BEGIN { if (a == "" || b == "" || n == "" || n == 0) print "n/a"; else printf "%.0f", (b - a) * 1024 / n }') bytes an entry)"
    echo "- gateway peak RSS (VmHWM) during the fill: $(mib "${FILL_HWM:-}") — target ≤ ${FILL_CACHE_MIB} MiB + 64 MiB"
    if ((GATEWAY_ERRORS > 0)); then
        echo
        echo "The gateway logged $GATEWAY_ERRORS WARN/ERROR lines (target/load-bench/gateway.log)."
    fi
    if ((FLAGGED)); then
        echo
        echo "**⚠ rows with problems:**"
        for key in "${ROWS[@]}"; do
            [[ -n ${NOTE[$key]} ]] && echo "- ${LABEL[$key]}: ${NOTE[$key]}"
        done
    fi
    if ((NOISY)); then
        echo
        echo "**Note:** other processes used more than 0.25 of a core during some rows (last column):" \
            "the machine was not idle, so those req/s and latencies are worse than they should be;" \
            "the CPU µs/req columns are less affected."
    fi
} | tee "$OUT/results.md"

say "wrk outputs and this table: $OUT/"
exit "$FLAGGED"
