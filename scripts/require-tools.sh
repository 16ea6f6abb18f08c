#!/usr/bin/env bash
# Installs the Debian packages of the command-line tools the tests drive (openssl, curl) when they are missing:
#   scripts/require-tools.sh openssl curl
# Called by the test suite (Tests/Infrastructure/ExternalTools.cs) before a test starts such a tool. Debian apt only.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        missing+=("$tool")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "require-tools: installing ${missing[*]}"
as_root apt-get update
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
