#!/usr/bin/env bash
# Installs what building and testing Gatehouse needs on a fresh Debian machine, and nothing that is already
# there: the C libraries Diesel links (libpq, libsqlite3) and a reachable PostgreSQL on 127.0.0.1:5432.
# Python's packages for the tests (cryptography, passlib, aiosmtpd, schemathesis) go into .venv.
# Debian's Chromium and Node.js (the browser tests) are installed with apt when missing.
# Usage: scripts/setup.sh [libs] [postgres] [python] [browser]   (no argument: all)
set -euo pipefail

want_libs=0
want_pg=0
want_py=0
want_browser=0
[ $# -eq 0 ] && { want_libs=1; want_pg=1; want_py=1; want_browser=1; }
for arg in "$@"; do
  case "$arg" in
    libs) want_libs=1 ;;
    postgres) want_pg=1 ;;
    python) want_py=1 ;;
    browser) want_browser=1 ;;
    *) echo "setup.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  echo "setup: installing $* with apt" >&2
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ "$want_libs" = 1 ]; then
  missing=()
  for pkg in libpq-dev libsqlite3-dev libssl-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
fi

pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p 5432
  else
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
  fi
}

if [ "$want_pg" = 1 ] && ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "setup: starting PostgreSQL $version" >&2
  sudo_if_needed pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "setup: PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
  # The tests connect over TCP as postgres and as their own role without a password.
  hba=$(ls /etc/postgresql/"$version"/main/pg_hba.conf)
  if ! grep -q "gatehouse-tests" "$hba"; then
    printf '# gatehouse-tests: local trust for the test suite\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' \
      | sudo_if_needed tee /tmp/gatehouse-hba >/dev/null
    sudo_if_needed sh -c "cat '$hba' >> /tmp/gatehouse-hba && cp /tmp/gatehouse-hba '$hba'"
    sudo_if_needed pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
fi

# cryptography and passlib make Zato-shaped values (Fernet, PBKDF2) for the interoperability and import tests,
# aiosmtpd is the SMTP server of the mail tests, schemathesis fuzzes the API from its OpenAPI document.
py_check='import cryptography, aiosmtpd, passlib, schemathesis'
if [ "$want_py" = 1 ] && ! { [ -x .venv/bin/python ] && .venv/bin/python -c "$py_check" 2>/dev/null; }; then
  echo "setup: installing Python's cryptography, passlib, aiosmtpd and schemathesis into .venv" >&2
  [ -x .venv/bin/python ] || python3 -m venv .venv || { apt_install python3-venv && python3 -m venv .venv; }
  .venv/bin/pip install -q cryptography passlib aiosmtpd 'schemathesis>=4,<5'
fi

if [ "$want_browser" = 1 ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
fi
