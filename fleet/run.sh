#!/usr/bin/env bash
# Fleet test of rolling restarts. Called by `./build.sh fleet [args]`; runs on its own too.
#
#   fleet/run.sh                  the four configurations, two rounds each (~5 min); writes docs/rollouts.md + .svg
#   fleet/run.sh --quick          setup (b) with the options, one round (~40 s)
#   fleet/run.sh --no-build ...   skip the build (the test suite's smoke test: the solution is already built)
#   fleet/run.sh --help           every option
#
# Installs HAProxy from Debian (apt: haproxy) when missing; it is then run only as this test's own foreground child
# process with a generated configuration, never as the system service. Builds the example app and the fleet driver
# in Release, then runs the driver (fleet/Roadrunner.Fleet), which starts and stops every process it uses.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

FLEET_DLL="fleet/Roadrunner.Fleet/bin/Release/net10.0/Roadrunner.Fleet.dll"
EXAMPLE_DLL="examples/Roadrunner.Example/bin/Release/net10.0/Roadrunner.Example.dll"

BUILD=1
ARGS=()
for arg in "$@"; do
    case "$arg" in
        --no-build) BUILD=0 ;;
        *) ARGS+=("$arg") ;;
    esac
done

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_haproxy() {
    echo "fleet: installing haproxy"
    as_root apt-get update
    # The package would start (and enable) the system service; this test runs only its own haproxy. A policy-rc.d
    # that answers 101 ("action forbidden") stops invoke-rc.d and deb-systemd-invoke from starting it. Only put in
    # place when there is none, and removed right after.
    local policy=/usr/sbin/policy-rc.d added=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
        as_root chmod 755 "$policy"
        added=1
    fi
    local status=0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy || status=$?
    if [ "$added" -eq 1 ]; then as_root rm -f "$policy"; fi
    return "$status"
}

if ! command -v haproxy >/dev/null 2>&1; then
    install_haproxy
fi

if [ "$BUILD" -eq 1 ] || [ ! -f "$FLEET_DLL" ] || [ ! -f "$EXAMPLE_DLL" ]; then
    echo "fleet: building (Release)"
    dotnet build examples/Roadrunner.Example/Roadrunner.Example.csproj -c Release -nologo -v quiet
    dotnet build fleet/Roadrunner.Fleet/Roadrunner.Fleet.csproj -c Release -nologo -v quiet
fi

exec dotnet "$FLEET_DLL" --repo "$ROOT" --example "$ROOT/$EXAMPLE_DLL" "${ARGS[@]+"${ARGS[@]}"}"
