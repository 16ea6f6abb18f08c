#!/usr/bin/env bash
# Browser test of the dashboard (MapRoadrunnerDashboard) in headless Chromium. Called by the suite's
# Roadrunner.AspNetCore.Tests/Admin/DashboardBrowserTests (which starts the example app and passes its admin URL), or by hand:
#
#   e2e/run.sh --install-only                 install Chromium (Debian package) and puppeteer-core (npm ci) when missing
#   e2e/run.sh http://127.0.0.1:5080 [shot]    run e2e/dashboard.test.mjs against a running example app
#
# Chromium comes from Debian (apt: chromium); puppeteer-core from the npm registry at the version in package-lock.json.
# puppeteer-core never downloads a browser: the test launches /usr/bin/chromium.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v chromium >/dev/null 2>&1; then
    echo "e2e: installing chromium (Debian package)"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core
fi

if [ ! -d node_modules/puppeteer-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "e2e: npm ci (puppeteer-core)"
    PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" = "--install-only" ]; then
    exit 0
fi

exec node dashboard.test.mjs "$@"
