#!/usr/bin/env bash
# Benchmark suite of Roadrunner.AspNetCore. Called by `./build.sh bench [args]`; runs on its own too.
#
#   bench/run.sh [--quick] [scenario...]    run scenarios (default: all), then regenerate docs/benchmarks.md
#   bench/run.sh --report                   only regenerate docs/benchmarks.md and docs/benchmarks.svg
#   bench/run.sh --help                     list the scenarios
#
# Installs wrk and h2load (apt: wrk, nghttp2-client) when missing, raises the open-file limit, builds the bench
# projects in Release, runs the scenarios through the in-repo runner (bench/Roadrunner.Bench.LoadClient), merges
# their figures into bench/results/results.json (a scenario run alone replaces only its own entry) and fills
# bench/benchmarks.template.md into docs/benchmarks.md with the chart docs/benchmarks.svg.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

CLIENT_DLL="bench/Roadrunner.Bench.LoadClient/bin/Release/net10.0/Roadrunner.Bench.LoadClient.dll"
SERVER_DLL="bench/Roadrunner.Bench.Server/bin/Release/net10.0/Roadrunner.Bench.Server.dll"

usage() {
    cat <<'EOF'
usage: ./build.sh bench [--quick] [scenario...]      (or bench/run.sh ...)

  --quick     shorter runs (6 A/B pairs of 1 s instead of 16 pairs of 2 s, fewer repeats): ~3 min instead of
              ~10; checks that the suite works, its ratios are too noisy to judge the targets
  --report    regenerate docs/benchmarks.md and docs/benchmarks.svg from bench/results/results.json only
  --help      this text

Scenarios (default: all, in this order):
  hello       1. HTTP/1.1 keep-alive hello, 50 connections (wrk): req/s and p99 ratio Roadrunner/plain
  h2c         2. h2c hello, 50 connections x 10 streams (h2load): req/s ratio
  tls         3. TLS HTTP/1.1 keep-alive hello (wrk): req/s ratio
  churn       4. connection churn, a new connection per request (wrk -H 'Connection: close'): req/s ratio
  middleware  5. UseRoadrunnerDrain() on vs off: req/s ratio, bytes allocated per request
  lifecycle   6. StartAsync -> first response, StopAsync, 1,000 listeners and memory per idle listener
  drain       7. drain 10,000 idle + 1,000 WebSockets; 1,000 ignoring WebSockets with a 1 s deadline
  memory      8. RSS per idle connection, Roadrunner vs plain, 10,000 connections
  limits      10. every per-listener limit set (generous) vs none: req/s ratio
  proxy       11. PROXY protocol v2 on vs off, plaintext and TLS, keep-alive and churn (in-repo load client)
  profile     9. dotnet-trace CPU samples of the server under keep-alive and churn load
  profile-limits  dotnet-trace CPU samples, keep-alive, a listener with every limit vs one with none
  profile-h2c     dotnet-trace CPU samples under h2load, Roadrunner h2c listener vs plain endpoint
  profile-proxy   dotnet-trace CPU samples under churn with and without a PROXY v2 header

Examples:
  ./build.sh bench                 every scenario, full length
  ./build.sh bench hello           one scenario; the others keep their last figures in docs/benchmarks.md
  ./build.sh bench --quick drain   one scenario, short
EOF
}

QUICK=()
SCENARIOS=()
REPORT_ONLY=0
for arg in "$@"; do
    case "$arg" in
        -h|--help|help) usage; exit 0 ;;
        --quick) QUICK=(--quick) ;;
        --report) REPORT_ONLY=1 ;;
        -*) echo "bench/run.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
        *) SCENARIOS+=("$arg") ;;
    esac
done

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_tools() {
    local missing=()
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "bench: installing ${missing[*]}"
        as_root apt-get update
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
    fi
}

raise_fd_limit() {
    # 10,000 idle connections + 1,000 WebSockets need ~11,000 descriptors on each side (client and server are
    # separate processes). Raise the soft limit to the hard limit, and the hard limit too where permitted.
    local want=65536 hard
    hard="$(ulimit -Hn)"
    if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then
        ulimit -Hn "$want" 2>/dev/null || true
        hard="$(ulimit -Hn)"
    fi
    if [ "$hard" = "unlimited" ] || [ "$hard" -ge "$want" ]; then ulimit -Sn "$want"; else ulimit -Sn "$hard"; fi
    if [ "$(ulimit -n)" -lt 12000 ]; then
        echo "bench: warning: open-file limit is $(ulimit -n); the drain and memory scenarios need about 12,000" >&2
    fi
}

build() {
    echo "bench: building (Release)"
    dotnet build bench/Roadrunner.Bench.Server/Roadrunner.Bench.Server.csproj -c Release -nologo -v quiet
    dotnet build bench/Roadrunner.Bench.LoadClient/Roadrunner.Bench.LoadClient.csproj -c Release -nologo -v quiet
}

report() {
    dotnet "$CLIENT_DLL" report --results bench/results/results.json --template bench/benchmarks.template.md \
        --markdown docs/benchmarks.md --svg docs/benchmarks.svg
}

if [ "$REPORT_ONLY" -eq 1 ]; then
    build
    report
    exit 0
fi

install_tools
raise_fd_limit
dotnet tool restore >/dev/null   # dotnet-trace for the profile scenario
build

echo "bench: open-file limit $(ulimit -n); $(nproc) cores shared by the load generators and the server"
status=0
dotnet "$CLIENT_DLL" run --repo "$ROOT" --server "$ROOT/$SERVER_DLL" --results bench/results/results.json \
    "${QUICK[@]}" "${SCENARIOS[@]}" || status=$?
report
if [ "$status" -ne 0 ]; then
    echo "bench: some scenarios failed (see above); docs/benchmarks.md shows the last good figures of each" >&2
fi
exit "$status"
