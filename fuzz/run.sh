#!/usr/bin/env bash
# Runs every fuzz target for a bounded time each: `bash fuzz/run.sh [SECONDS_PER_TARGET]`
# (also `make fuzz`). Seeds each target's corpus from the repository's own documents
# (tests/fixtures/seeds, rules/, schemas/, example request heads), keeps what libFuzzer
# learns under fuzz/corpus/ (not tracked), and stops at the first crash, whose input
# libFuzzer writes under fuzz/artifacts/<target>/. A crash found once is kept as a
# regression test in the crate's own tests (see fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-150}
targets=(request_body response_body rules_loader request_head)

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

seed() { # seed TARGET SELECTOR FILE
  local dir="corpus/$1"
  mkdir -p "$dir"
  { printf "\\x$(printf %02x "$2")"; cat "$3"; } >"$dir/seed-$2-$(basename "$3")"
}

for f in ../tests/fixtures/seeds/*-request.json; do
  for sel in 0 1 2 3 4 5 6 7 8 128 132; do seed request_body "$sel" "$f"; done
done
for f in ../tests/fixtures/seeds/*-response.json; do
  for sel in 0 1 2 3 4 5 6 7 8 136; do seed response_body "$sel" "$f"; done
done
i=0
for f in ../rules/*.toml $(find ../schemas -name '*.json' | sort) ../examples/demo.toml; do
  seed rules_loader "$i" "$f"; i=$((i + 1))
done
mkdir -p corpus/request_head
printf '\x40\x10GET /v1/users/u\x20HTTP/1.1\r\nHost: a\r\n\x05\r\n\r\nxx' >corpus/request_head/get
printf '\x10\x03PUT\x07 / HTTP\x02/1\x04.1\n\n' >corpus/request_head/bare-lf

for t in "${targets[@]}"; do
  echo "== fuzz $t for ${seconds}s"
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 2>&1 |
    grep -E '^(==|INFO: seed|#[0-9]+ *DONE|Done|stat::number_of_executed_units|SUMMARY|.*panicked|.*deadly signal|artifact_prefix|Test unit written)' || true
  # (one `ls` of three globs fails whenever one of them matches nothing: look with find)
  if [[ -n $(find "artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) 2>/dev/null) ]]; then
    echo "fuzz: $t found a failing input under fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each with no crash"
