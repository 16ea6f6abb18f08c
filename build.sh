#!/usr/bin/env bash
# Thin wrapper: restores the repo-local tools (PowerShell) and runs build.ps1 with the same arguments.
set -euo pipefail
cd "$(dirname "$0")"
dotnet tool restore >/dev/null
if [ "${1:-}" = "example" ]; then
    # Straight to dotnet run: PowerShell would split configuration switches such as
    # --Roadrunner:Listeners:admin:Port=18080 at the colon.
    shift
    exec dotnet run --project examples/Roadrunner.Example -c Release -- "$@"
fi
exec dotnet pwsh -NoProfile -File ./build.ps1 "$@"
