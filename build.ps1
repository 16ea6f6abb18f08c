#!/usr/bin/env pwsh
# Build script for Roadrunner.AspNetCore. Run through ./build.sh (restores the local pwsh tool).
#
#   ./build.sh [verb] [extra args...]
#
#   restore   dotnet restore the solution
#   build     Release build (default); warnings are errors via Directory.Build.props
#   test      dotnet test with trx results in artifacts/test-results; the last line printed is
#             "N passed, N failed[, N skipped]". Extra args go to dotnet test (e.g. --filter X)
#   format    dotnet format --verify-no-changes
#   pack      pack the library into artifacts/packages (Release)
#   example   dotnet run examples/Roadrunner.Example (Release); extra args go to the app
#   bench     run bench/run.sh with the extra args
#
# Arguments are read from $args rather than a param() block so that pass-through options such as
# -c or -t are not bound as PowerShell parameters. BUILD_SOLUTION overrides the solution path.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$PSNativeCommandUseErrorActionPreference = $false   # exit codes are checked explicitly below

$Root = $PSScriptRoot
Set-Location $Root
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'

$Solution = if ($env:BUILD_SOLUTION) { $env:BUILD_SOLUTION } else { Join-Path $Root 'Roadrunner.AspNetCore.slnx' }
$Artifacts = Join-Path $Root 'artifacts'
$Library = Join-Path $Root 'Roadrunner.AspNetCore/Roadrunner.AspNetCore.csproj'
$Example = Join-Path $Root 'examples/Roadrunner.Example'

$Target = if ($args.Count -gt 0) { [string]$args[0] } else { 'build' }
[string[]]$Rest = if ($args.Count -gt 1) { $args[1..($args.Count - 1)] } else { @() }

function Fail([string]$Message) {
    [Console]::Error.WriteLine("build.ps1: $Message")
    exit 1
}

# Runs a native command, streaming its output, and stops the script if it exits non-zero.
function Invoke-Native([string]$Command, [string[]]$Arguments) {
    Write-Host "> $Command $($Arguments -join ' ')"
    & $Command @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0) { Fail "'$Command $($Arguments[0])' failed with exit code $LASTEXITCODE" }
}

# Sums the <Counters> of every .trx file under $Directory.
function Get-TrxSummary([string]$Directory) {
    $sum = [ordered]@{ Files = 0; Passed = 0; Failed = 0; Skipped = 0 }
    $files = @(Get-ChildItem -Path $Directory -Filter '*.trx' -Recurse -File -ErrorAction SilentlyContinue)
    foreach ($file in $files) {
        [xml]$doc = Get-Content -LiteralPath $file.FullName -Raw
        $counters = $doc.GetElementsByTagName('Counters') | Select-Object -First 1
        if ($null -eq $counters) { Fail "no <Counters> element in $($file.FullName)" }
        $n = { param([string]$Name) $v = $counters.GetAttribute($Name); if ($v) { [int]$v } else { 0 } }
        $sum.Files++
        $sum.Passed += & $n 'passed'
        $sum.Failed += (& $n 'failed') + (& $n 'error') + (& $n 'timeout') + (& $n 'aborted')
        $sum.Skipped += [Math]::Max((& $n 'notExecuted'), (& $n 'total') - (& $n 'executed'))
    }
    return [pscustomobject]$sum
}

function Invoke-Test {
    $results = Join-Path $Artifacts 'test-results'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    $testArgs = @('test', $Solution, '-c', 'Release',
        '--logger', 'trx;LogFilePrefix=test-results', '--results-directory', $results) + $Rest
    Write-Host "> dotnet $($testArgs -join ' ')"
    & dotnet @testArgs | Out-Host
    $testExit = $LASTEXITCODE

    $s = Get-TrxSummary $results
    $problems = @()
    if ($testExit -ne 0) { $problems += "dotnet test exited with code $testExit" }
    if ($s.Files -eq 0) { $problems += "no .trx file was produced in $results" }
    elseif ($s.Passed -eq 0) { $problems += 'no test passed' }
    if ($s.Failed -gt 0) { $problems += "$($s.Failed) test(s) failed" }
    foreach ($p in $problems) { [Console]::Error.WriteLine("build.ps1: $p") }
    [Console]::Error.Flush()

    $line = "$($s.Passed) passed, $($s.Failed) failed"
    if ($s.Skipped -gt 0) { $line += ", $($s.Skipped) skipped" }
    [Console]::Out.WriteLine($line)
    exit $(if ($problems.Count -gt 0) { 1 } else { 0 })
}

switch ($Target) {
    'restore' { Invoke-Native 'dotnet' (@('restore', $Solution) + $Rest) }
    'build' { Invoke-Native 'dotnet' (@('build', $Solution, '-c', 'Release') + $Rest) }
    'test' { Invoke-Test }
    'format' { Invoke-Native 'dotnet' (@('format', $Solution, '--verify-no-changes') + $Rest) }
    'pack' {
        Invoke-Native 'dotnet' (@('pack', $Library, '-c', 'Release', '-o', (Join-Path $Artifacts 'packages')) + $Rest)
    }
    'example' {
        if (-not (Test-Path $Example)) { Fail "example project not found: $Example" }
        Invoke-Native 'dotnet' (@('run', '--project', $Example, '-c', 'Release', '--') + $Rest)
    }
    'bench' {
        $bench = Join-Path $Root 'bench/run.sh'
        if (-not (Test-Path $bench)) { Fail 'bench/run.sh not found' }
        Invoke-Native 'bash' (@($bench) + $Rest)
    }
    { $_ -in 'help', '-h', '--help' } {
        Write-Host 'usage: ./build.sh [restore|build|test|format|pack|example|bench] [extra args...]'
    }
    default { Fail "unknown verb '$Target' (expected restore, build, test, format, pack, example, bench)" }
}
