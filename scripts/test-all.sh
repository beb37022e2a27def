#!/usr/bin/env bash
# `just test`: every suite in turn (Rust unit and integration tests on PostgreSQL and SQLite, the API fuzzer,
# the browser tests), each one's output shown as it runs, then a summary of what ran, read from that output.
# Stops at the first failing suite. Usage: scripts/test-all.sh TEST_THREADS
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-8}"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
started=$(date +%s)

run() { # name, command...
  local name=$1; shift
  echo "==> $name" >&2
  local t0; t0=$(date +%s)
  if ! "$@" 2>&1 | tee "$logs/$name.log"; then
    echo "just test: $name FAILED (see its output above)" >&2
    exit 1
  fi
  echo $(( $(date +%s) - t0 )) > "$logs/$name.secs"
}

run rust cargo test --workspace --locked -- --test-threads "$threads"
run api-fuzz scripts/api-fuzz.sh
run browser scripts/e2e.sh

secs() { cat "$logs/$1.secs"; }
sum_results() { # field of cargo's "test result" lines: passed, failed, ignored
  grep -Eo "[0-9]+ $1" "$logs/rust.log" | awk '{s += $1} END {print s + 0}'
}
pg_version=$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version' postgres 2>/dev/null | cut -d' ' -f1 || echo "?")
on_pg=$(grep -Ec '^test .*::postgres \.\.\. ok$' "$logs/rust.log" || true)
on_lite=$(grep -Ec '^test .*::sqlite \.\.\. ok$' "$logs/rust.log" || true)
suites=$(grep -Ec '^\s+Running ' "$logs/rust.log" || true)
fuzz_cases=$(grep -Eo '[0-9]+ generated, [0-9]+ passed' "$logs/api-fuzz.log" | tail -n 1 || true)
fuzz_ops=$(grep -Eo 'Tested: [0-9]+' "$logs/api-fuzz.log" | tail -n 1 | grep -Eo '[0-9]+' || true)
browser_pass=$(grep -Eo 'pass [0-9]+' "$logs/browser.log" | tail -n 1 | grep -Eo '[0-9]+' || true)

cat <<SUMMARY

================================ just test: summary ================================
Rust (cargo test, $suites test binaries, $(secs rust) s):
  $(sum_results passed) passed, $(sum_results failed) failed, $(sum_results ignored) ignored
  of which on both databases: $on_pg on PostgreSQL $pg_version (a database per test, an ordinary role)
  and $on_lite on SQLite (a file per test); the rest need no database or use one of their own
API fuzzing (schemathesis on /api/v1/openapi.json, $(secs api-fuzz) s):
  ${fuzz_ops:-?} operations, ${fuzz_cases:-?} cases; no server error, no response outside the document
Browser (Debian's Chromium, PostgreSQL and a real SMTP server, $(secs browser) s):
  ${browser_pass:-?} journeys passed
All suites passed in $(( $(date +%s) - started )) s.
====================================================================================
SUMMARY
