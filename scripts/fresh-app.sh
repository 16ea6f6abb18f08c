#!/usr/bin/env bash
# Does README.md's Quick start work as pasted, against the package as packed? In a temporary folder:
#
#   1. packs the library (dotnet pack, own obj/bin, so the repository's build outputs are left alone);
#   2. makes a fresh app with `dotnet new web` and adds the package from that local folder
#      (`dotnet add package Roadrunner.AspNetCore --version <packed> --source <folder>`, a temporary nuget.config with
#      the folder and the repository's NuGet.config sources, and a temporary global packages folder, so a package of
#      the same version from an earlier run is never reused);
#   3. writes Program.cs from README.md: the Quick start block, with the WebSocket, SSE and long-poll blocks pasted in
#      as the README says (their `using` lines at the top, the rest before `app.Run();`);
#   4. builds it (warnings as errors), runs the built app with --urls http://127.0.0.1:0, reads its URL from the log,
#      starts a listener through POST /ports/{name} (port 0), expects 200 "listener={name}" from that listener, opens
#      the SSE stream on it, drains the listener and expects the stream to end with the drain event;
#   5. stops the app it started, by its PID only, and removes the temporary folder.
#
# Exits non-zero with a message on any failure. Every wait is bounded. Options:
#   --keep            keep the temporary folder (its path is printed)
#   --timeout SECONDS how long to wait for the app to listen (default 60)
#
# Run as ./build.sh fresh-app or scripts/fresh-app.sh.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
keep=0
listen_timeout=60
while [ $# -gt 0 ]; do
    case "$1" in
        --keep) keep=1 ;;
        --timeout) listen_timeout="${2:?--timeout needs a number of seconds}"; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fresh-app: unknown argument '$1' (expected --keep, --timeout SECONDS)" >&2; exit 2 ;;
    esac
    shift
done

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No build servers: a reused MSBuild node or compiler server would outlive the script (and keep its output open).
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

work="$(mktemp -d "${TMPDIR:-/tmp}/roadrunner-fresh-app.XXXXXX")"
app_pid=""
started=$SECONDS

fail() {
    echo "fresh-app: FAILED: $*" >&2
    exit 1
}

cleanup() {
    local status=$?
    if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
        kill -KILL "$app_pid" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -f "$work/app.log" ]; then
        echo "fresh-app: last lines of the app's log:" >&2
        tail -n 40 "$work/app.log" >&2 || true
    fi
    if [ "$keep" = 1 ]; then
        echo "fresh-app: kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a command with its output in $work/<name>.log, printed only when it fails.
step() {
    local name="$1"; shift
    echo "fresh-app: $name: $*"
    if ! "$@" >"$work/$name.log" 2>&1; then
        tail -n 60 "$work/$name.log" >&2
        fail "$name failed: $*"
    fi
}

command -v dotnet >/dev/null || fail "dotnet is not on PATH"
command -v curl >/dev/null || fail "curl is not on PATH"
[ -f "$root/README.md" ] || fail "no README.md in $root"

# --- 1. pack -------------------------------------------------------------------------------------------------------
feed="$work/feed"
step restore dotnet restore "$root/Roadrunner.AspNetCore/Roadrunner.AspNetCore.csproj"
step pack dotnet pack "$root/Roadrunner.AspNetCore/Roadrunner.AspNetCore.csproj" -c Release --no-restore \
    --disable-build-servers -o "$feed" \
    "-p:IntermediateOutputPath=$work/lib/obj/" "-p:OutputPath=$work/lib/bin/" "-p:NuspecOutputPath=$work/lib/nuspec/"
nupkg="$(find "$feed" -maxdepth 1 -name 'Roadrunner.AspNetCore.*.nupkg' ! -name '*.snupkg' | head -n 1)"
[ -n "$nupkg" ] || fail "dotnet pack made no Roadrunner.AspNetCore .nupkg in $feed"
version="$(basename "$nupkg" .nupkg)"
version="${version#Roadrunner.AspNetCore.}"
echo "fresh-app: packed Roadrunner.AspNetCore $version"

# --- 2. fresh app + package from the folder ------------------------------------------------------------------------
app="$work/app"
step new dotnet new web -o "$app" -n FreshApp --no-restore
# The local folder first, then the repository's sources (NuGet.config's <add key=... value=...> lines); the package
# itself only ever comes from the folder (package source mapping).
{
    echo '<?xml version="1.0" encoding="utf-8"?>'
    echo '<configuration>'
    echo "  <config><add key=\"globalPackagesFolder\" value=\"$work/packages\" /></config>"
    echo '  <packageSources>'
    echo '    <clear />'
    echo "    <add key=\"local\" value=\"$feed\" />"
    grep -o '<add key="[^"]*" value="[^"]*"[^>]*/>' "$root/NuGet.config" | sed 's/^/    /' || true
    echo '  </packageSources>'
    echo '  <packageSourceMapping>'
    echo '    <packageSource key="local"><package pattern="Roadrunner.AspNetCore" /></packageSource>'
    grep -o '<add key="[^"]*"' "$root/NuGet.config" | sed 's/<add key="\([^"]*\)"/    <packageSource key="\1"><package pattern="*" \/><\/packageSource>/' || true
    echo '  </packageSourceMapping>'
    echo '</configuration>'
} >"$app/nuget.config"
step add-package dotnet add "$app/FreshApp.csproj" package Roadrunner.AspNetCore --version "$version" --source "$feed"
grep -q "Include=\"Roadrunner.AspNetCore\" Version=\"$version\"" "$app/FreshApp.csproj" \
    || fail "dotnet add package did not add Roadrunner.AspNetCore $version to FreshApp.csproj"

# --- 3. Program.cs from README.md ----------------------------------------------------------------------------------
# A block is the ```csharp fence right after the line `<!-- snippet: ...#readme:NAME -->`.
block() {
    awk -v tag="#readme:$1 -->" '
        index($0, "<!-- snippet: ") == 1 && index($0, tag) > 0 { want = 1; next }
        want == 1 && /^```csharp[[:space:]]*$/ { want = 2; next }
        want == 1 { want = 0 }
        want == 2 && /^```[[:space:]]*$/ { exit }
        want == 2 { print }
    ' "$root/README.md"
}
quickstart="$(block quickstart)"
[ -n "$quickstart" ] || fail "README.md has no Quick start block (a \`\`\`csharp fence under <!-- snippet: ...#readme:quickstart -->)"
printf '%s\n' "$quickstart" | grep -qx 'app.Run();' || fail "the README's Quick start has no 'app.Run();' line to paste the other blocks before"
usings="$work/usings.cs"
body="$work/body.cs"
printf '%s\n' "$quickstart" | grep '^using ' >"$usings" || true
: >"$body"
for name in websocket sse longpoll; do
    text="$(block "$name")"
    [ -n "$text" ] || fail "README.md has no '$name' block (<!-- snippet: ...#readme:$name -->)"
    printf '%s\n' "$text" | grep '^using ' | sed 's|[[:space:]]*//.*$||' >>"$usings" || true
    { printf '// README: %s\n' "$name"; printf '%s\n' "$text" | grep -v '^using ' | awk 'NF { seen = 1 } seen'; echo; } >>"$body"
done
{
    sort -u "$usings"
    printf '%s\n' "$quickstart" | grep -v '^using ' | awk -v body="$body" '
        $0 == "app.Run();" { while ((getline line < body) > 0) print line }
        { print }'
} >"$app/Program.cs"
echo "fresh-app: Program.cs = README Quick start + websocket, sse, longpoll blocks ($(wc -l <"$app/Program.cs") lines)"

# --- 4. build, run, call -------------------------------------------------------------------------------------------
step build dotnet build "$app/FreshApp.csproj" -c Release --disable-build-servers -warnaserror
dll="$app/bin/Release/net10.0/FreshApp.dll"
[ -f "$dll" ] || fail "the build made no $dll"

# The built app directly (not `dotnet run`, whose launch profile would set a URL): its PID is the app's own.
(cd "$app" && exec dotnet "$dll" --urls http://127.0.0.1:0 >"$work/app.log" 2>&1) &
app_pid=$!
echo "fresh-app: started the app, pid $app_pid"

base=""
deadline=$((SECONDS + listen_timeout))
for _ in $(seq 1 $((listen_timeout * 5))); do
    base="$(sed -n 's|.*Now listening on: \(http://127\.0\.0\.1:[0-9][0-9]*\).*|\1|p' "$work/app.log" | head -n 1)"
    [ -n "$base" ] && break
    kill -0 "$app_pid" 2>/dev/null || fail "the app exited before it listened"
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.2
done
[ -n "$base" ] || fail "the app did not log 'Now listening on: http://127.0.0.1:<port>' within ${listen_timeout}s"
echo "fresh-app: app listens on $base"

curl_opts=(--silent --show-error --max-time 10)
listener_url="$(curl "${curl_opts[@]}" --fail -X POST "$base/ports/fresh")" || fail "POST $base/ports/fresh did not answer 2xx"
case "$listener_url" in
    http://127.0.0.1:*) ;;
    *) fail "POST $base/ports/fresh answered '$listener_url', not the listener's URL" ;;
esac
echo "fresh-app: started listener 'fresh' on $listener_url"
response="$(curl "${curl_opts[@]}" --write-out '\n%{http_code}' "$listener_url")" || fail "GET $listener_url failed"
status="${response##*$'\n'}"
text="${response%$'\n'*}"
[ "$status" = 200 ] || fail "GET $listener_url answered $status, expected 200"
[ "$text" = "listener=fresh" ] || fail "GET $listener_url answered '$text', expected 'listener=fresh'"
echo "fresh-app: GET $listener_url -> 200 $text"
# The README's SSE block on that listener: a "tick" stream that the drain ends with a "drain" event and a retry hint.
sse_out="$work/sse.out"
curl --silent --no-buffer --max-time 30 "${listener_url}sse" >"$sse_out" 2>&1 &
sse_pid=$!
for _ in $(seq 1 100); do
    grep -q '^event: tick' "$sse_out" 2>/dev/null && break
    kill -0 "$sse_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q '^event: tick' "$sse_out" || { kill "$sse_pid" 2>/dev/null || true; fail "GET ${listener_url}sse sent no 'event: tick' within 10 s: $(head -c 300 "$sse_out")"; }
drain="$(curl "${curl_opts[@]}" --fail -X POST "$base/ports/fresh/drain")" || { kill "$sse_pid" 2>/dev/null || true; fail "POST $base/ports/fresh/drain did not answer 2xx"; }
sse_exit=0
wait "$sse_pid" || sse_exit=$?
# DrainResult as JSON: outcome Drained (0, or "Drained" with a string enum converter), the SSE stream acknowledged.
printf '%s' "$drain" | grep -Eq '"listenerName":"fresh".*"outcome":(0|"Drained").*"acknowledgements":1[,}]' \
    || fail "POST $base/ports/fresh/drain answered '$drain', expected outcome Drained with 1 acknowledgement (the SSE stream)"
echo "fresh-app: drained: $drain"
[ "$sse_exit" = 0 ] || fail "the SSE request ended with curl exit code $sse_exit, not a clean end of the response"
grep -q '^event: drain' "$sse_out" && grep -q '^retry: 2000' "$sse_out" \
    || fail "the SSE stream did not end with 'event: drain' and 'retry: 2000': $(tail -c 300 "$sse_out")"
echo "fresh-app: the SSE stream ended with: $(grep -A1 '^event: drain' "$sse_out" | tr '\n' ' ')"

# --- 5. stop what we started ---------------------------------------------------------------------------------------
kill -TERM "$app_pid"
stopped=0
for _ in $(seq 1 150); do
    if ! kill -0 "$app_pid" 2>/dev/null; then stopped=1; break; fi
    sleep 0.2
done
[ "$stopped" = 1 ] || fail "the app (pid $app_pid) did not stop within 30 s of SIGTERM"
exit_code=0
wait "$app_pid" || exit_code=$?
app_pid=""
[ "$exit_code" = 0 ] || fail "the app exited with code $exit_code after SIGTERM"

echo "fresh-app: OK in $((SECONDS - started)) s (Roadrunner.AspNetCore $version, README Quick start as pasted)"
