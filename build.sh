#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")"
dotnet tool restore >/dev/null
exec dotnet pwsh -NoProfile -File ./build.ps1 "$@"
