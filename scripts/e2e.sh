#!/usr/bin/env bash
# Browser tests: Debian's Chromium driven by playwright-core, against the debug binary on PostgreSQL with a
# real SMTP server; screenshots land in e2e/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh browser postgres python
cargo build -p gatehouse --locked
cd e2e
npm ci --no-audit --no-fund --loglevel=error
npm test
