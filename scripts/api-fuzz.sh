#!/usr/bin/env bash
# Fuzzes the native API from its OpenAPI document with schemathesis (installed into .venv by scripts/setup.sh)
# against a live debug server on a fresh embedded store: a bounded number of examples per operation, every
# example authenticated (see e2e/api-fuzz/gatehouse_hooks.py). Fails on any server error or any response that
# does not match the document. Usage: scripts/api-fuzz.sh [MAX_EXAMPLES]   (default 25)
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-${GATEHOUSE_FUZZ_EXAMPLES:-25}}"
bin="${CARGO_TARGET_DIR:-target}/debug/gatehouse"
cargo build -q -p gatehouse --bin gatehouse --locked
[ -x .venv/bin/schemathesis ] || bash scripts/setup.sh python

dir=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
py=.venv/bin/python
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export GATEHOUSE__DATABASE__URL="sqlite://$dir/gatehouse.db"
export GATEHOUSE__CRYPTO__KEY_FILE="$dir/fernet.key"
export GATEHOUSE__MAIL__FILE_DIR="$dir/mail"
export GATEHOUSE__HASHING__ARGON2_MEMORY_KIB=256 GATEHOUSE__HASHING__ARGON2_ITERATIONS=1
export GATEHOUSE__SERVER__BIND="127.0.0.1:$port" GATEHOUSE__SERVER__METRICS_BIND=127.0.0.1:0 GATEHOUSE__LOG__LEVEL=error
# The run's own app, in every tenant; tenants re-read at once, so a settings change undone in the database (by
# the hooks) is seen on the next request.
export GATEHOUSE__APPS__ALL=CRM,fuzzapp GATEHOUSE__APPS__LOGIN_ALLOWED=CRM,fuzzapp GATEHOUSE__SERVER__TENANT_CACHE_MS=0
# The per-address failure throttle would start answering 429 to a fuzzer that sends many wrong passwords.
export GATEHOUSE__LOGIN__MAX_FAILURES_PER_ADDRESS=1000000 GATEHOUSE__LOGIN__MAX_FAILURES=1000000
password="fuzzing passphrase $RANDOM$RANDOM"
"$bin" tenant create fuzz >/dev/null
"$bin" tenant create fuzzset >/dev/null
for target in "fuzz root" "fuzzset root" "system operator"; do
  set -- $target
  printf '%s\n' "$password" | "$bin" user create --tenant "$1" --username "$2" --password-stdin --super-user >/dev/null
done
"$bin" serve 2>"$dir/server.log" &
server=$!
up() { "$py" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null; }
for _ in $(seq 1 100); do
  up && break
  sleep 0.1
done
up || { echo "api-fuzz: the server did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }

status=0
GATEHOUSE_FUZZ_BASE="http://127.0.0.1:$port" GATEHOUSE_FUZZ_PASSWORD="$password" GATEHOUSE_FUZZ_DATABASE="$dir/gatehouse.db" \
  PYTHONPATH=e2e/api-fuzz SCHEMATHESIS_HOOKS=gatehouse_hooks \
  .venv/bin/schemathesis run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$examples" --seed 20261201 --workers 1 --request-timeout 30 \
    --suppress-health-check all --no-shrink || status=$?
if grep -q "panicked" "$dir/server.log"; then
  echo "api-fuzz: the server panicked:" >&2
  grep -m 5 "panicked" "$dir/server.log" >&2
  status=1
fi
exit "$status"
