#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run the whole suite.
# Usage: bash scripts/test.sh [pytest arguments]   (PMO_TEST_WORKERS=0 for a serial run)
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'

# System packages: Debian's PostgreSQL 15 (the schema must run on 15 and 18), Chromium for
# the browser tests (Playwright drives /usr/bin/chromium; its own browser download cannot work
# offline) and PgBouncer for the second run of the end-to-end tier.
missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15 postgresql-contrib)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# One worker per core (pytest-xdist); each worker starts its own PostgreSQL cluster and names its
# databases after its pid, so workers share nothing. A `-n N` among the arguments overrides this.
workers=(-n "${PMO_TEST_WORKERS:-auto}")
# With test paths given, run just those.
for arg in "$@"; do
    if [ -e "${arg%%::*}" ]; then exec .venv/bin/python -m pytest "${workers[@]}" "$@"; fi
done
# Otherwise the whole suite, then the end-to-end tier again with every test database behind
# PgBouncer in transaction mode (as on Neon's pooled endpoint: no server-side prepared
# statements, no session state between transactions); each worker runs its own PgBouncer.
.venv/bin/python -m pytest "${workers[@]}" "$@"
PMO_TEST_PGBOUNCER=1 exec .venv/bin/python -m pytest "${workers[@]}" "$@" tests/e2e
