#!/usr/bin/env bash
# Installs the Debian packages a test needs when their command is missing: scripts/ensure-tools.sh haproxy curl openssl
# (called by the tests through Tests/Infrastructure/ExternalTools.cs, once per tool and process).
# HAProxy is then only ever run by the tests as their own foreground child process with a generated configuration,
# never as the system service: a policy-rc.d answering 101 ("action forbidden") keeps the package from starting it.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then missing+=("$tool"); fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "ensure-tools: installing ${missing[*]}"
as_root apt-get update
policy=/usr/sbin/policy-rc.d
added=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    added=1
fi
status=0
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" || status=$?
if [ "$added" -eq 1 ]; then as_root rm -f "$policy"; fi
exit "$status"
