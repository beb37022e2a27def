# Gatehouse: the one place commands live. `just` lists them.
set shell := ["bash", "-euo", "pipefail", "-c"]

# Integration tests are I/O bound (a database and a server each): run more of them than there are cores.
test_threads := env_var_or_default("GATEHOUSE_TEST_THREADS", "8")

default:
    @just --list

# Serve on the embedded SQLite store at http://localhost:8080 (arguments go to the binary)
run *args:
    cargo run --release -- {{args}}

# Install what the tests need (system libraries, a reachable PostgreSQL) if it is missing
setup:
    scripts/setup.sh

# Every test: unit and integration tests against PostgreSQL and SQLite both, the API fuzzer and the browser
# tests, then a summary of what ran
test: setup
    scripts/test-all.sh {{test_threads}}

# Fuzz the native API from its OpenAPI document (schemathesis, `examples` per operation) against a live server
api-fuzz examples="25":
    scripts/setup.sh python
    scripts/api-fuzz.sh {{examples}}

# Browser tests: Debian's Chromium driven by playwright-core, against the debug binary on PostgreSQL with a
# real SMTP server; screenshots land in e2e/artifacts
e2e:
    scripts/e2e.sh

# The benchmark harness against a release build on PostgreSQL (minutes; not part of `just test`): prints the
# figures and appends them, with the machine's description, to docs/benchmarks.md. GATEHOUSE_BENCH_SECONDS sets
# the length of one run (default 5; logins run twice as long)
bench:
    scripts/setup.sh postgres
    cargo build --release --locked -p gatehouse -p gatehouse-bench
    target/release/gatehouse-bench

# Formatting and lints, as CI checks them
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Fuzz every target for `seconds` each (nightly, with sanitizers; not part of `just test`). Seeds are in
# fuzz/seeds (crashes found so far are kept there as regressions); the growing corpus in fuzz/corpus.
fuzz seconds="60":
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
    cd fuzz && for t in ust login_body user_update_body address_list; do mkdir -p corpus/$t; cargo +nightly fuzz run $t corpus/$t seeds/$t -- -max_total_time={{seconds}}; done
