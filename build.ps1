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
#   pack      pack the library into artifacts/packages (Release, deterministic paths) with its .snupkg,
#             then check the package (readme, license, XML docs, symbols, repository, no local paths)
#   example   dotnet run examples/Roadrunner.Example (Release); extra args go to the app
#   bench     run bench/run.sh with the extra args
#   fresh-app scripts/fresh-app.sh: pack, `dotnet new web`, paste README.md's Quick start, build, run, GET a listener
#   fleet     run fleet/run.sh with the extra args: rolling restarts behind HAProxy (--quick: one setup, one round)
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

# Checks the newest Roadrunner.AspNetCore .nupkg in $Directory and the .snupkg next to it: what a consumer needs
# (readme, license, XML docs, repository metadata, symbols) and no local path in the PDB. The test suite checks
# the same in Packaging/PackageContentsTests.cs, on a package it packs itself.
function Test-Package([string]$Directory) {
    Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem
    $nupkg = Get-ChildItem -Path $Directory -Filter 'Roadrunner.AspNetCore.*.nupkg' -File |
        Sort-Object LastWriteTimeUtc | Select-Object -Last 1
    if ($null -eq $nupkg) { Fail "no Roadrunner.AspNetCore .nupkg in $Directory" }
    $snupkg = [IO.Path]::ChangeExtension($nupkg.FullName, '.snupkg')
    $problems = [Collections.Generic.List[string]]::new()

    $zip = [IO.Compression.ZipFile]::OpenRead($nupkg.FullName)
    try {
        $entries = @($zip.Entries | ForEach-Object FullName)
        $nuspecEntry = $zip.Entries | Where-Object { $_.FullName -notmatch '/' -and $_.Name -like '*.nuspec' } | Select-Object -First 1
        if ($null -eq $nuspecEntry) { Fail "no .nuspec in $($nupkg.Name)" }
        $reader = [IO.StreamReader]::new($nuspecEntry.Open())
        try { [xml]$nuspec = $reader.ReadToEnd() } finally { $reader.Dispose() }
        $metadata = $nuspec.package.metadata
        $readme = if ($metadata.PSObject.Properties['readme']) { [string]$metadata.readme } else { '' }
        if (-not $readme) { $problems.Add('nuspec has no <readme>') }
        elseif ($entries -notcontains $readme) { $problems.Add("readme '$readme' is not in the package") }
        $license = if ($metadata.PSObject.Properties['license']) { $metadata.license } else { $null }
        if ($null -eq $license -or $license.type -ne 'expression' -or -not $license.InnerText) { $problems.Add('nuspec has no license expression') }
        $repository = if ($metadata.PSObject.Properties['repository']) { $metadata.repository } else { $null }
        if ($null -eq $repository -or -not $repository.url) { $problems.Add('nuspec has no <repository url>') }
        foreach ($file in 'lib/net10.0/Roadrunner.AspNetCore.dll', 'lib/net10.0/Roadrunner.AspNetCore.xml') {
            if ($entries -notcontains $file) { $problems.Add("$file is not in the package") }
        }
    }
    finally { $zip.Dispose() }

    if (-not (Test-Path -LiteralPath $snupkg)) { $problems.Add("no symbols package $([IO.Path]::GetFileName($snupkg))") }
    else {
        $zip = [IO.Compression.ZipFile]::OpenRead($snupkg)
        try {
            $pdb = $zip.GetEntry('lib/net10.0/Roadrunner.AspNetCore.pdb')
            if ($null -eq $pdb) { $problems.Add('lib/net10.0/Roadrunner.AspNetCore.pdb is not in the symbols package') }
            else {
                $buffer = [IO.MemoryStream]::new()
                $stream = $pdb.Open()
                try { $stream.CopyTo($buffer) } finally { $stream.Dispose() }
                $buffer.Position = 0
                $provider = [Reflection.Metadata.MetadataReaderProvider]::FromPortablePdbStream($buffer)
                try {
                    $md = $provider.GetMetadataReader()
                    $local = @($md.Documents | ForEach-Object { $md.GetString($md.GetDocument($_).Name) } |
                        Where-Object { -not $_.StartsWith('/_/') })
                    if ($local.Count -gt 0) { $problems.Add("PDB has non-deterministic document paths, e.g. $($local[0])") }
                }
                finally { $provider.Dispose() }
            }
        }
        finally { $zip.Dispose() }
    }

    foreach ($p in $problems) { [Console]::Error.WriteLine("build.ps1: $($nupkg.Name): $p") }
    if ($problems.Count -gt 0) { Fail 'package check failed' }
    Write-Host "Package check passed: $($nupkg.Name) + $([IO.Path]::GetFileName($snupkg))"
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
        # ContinuousIntegrationBuild: /_/ source paths in the PDB instead of this machine's (also set for any
        # `dotnet pack` by Directory.Build.props; explicit here so the verb does not depend on the CLI's _IsPacking).
        $packages = Join-Path $Artifacts 'packages'
        Invoke-Native 'dotnet' (@('pack', $Library, '-c', 'Release', '-o', $packages, '-p:ContinuousIntegrationBuild=true') + $Rest)
        Test-Package $packages
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
    'fleet' { Invoke-Native 'bash' (@((Join-Path $Root 'fleet/run.sh')) + $Rest) }
    'fresh-app' { Invoke-Native 'bash' (@((Join-Path $Root 'scripts/fresh-app.sh')) + $Rest) }
    { $_ -in 'help', '-h', '--help' } {
        Write-Host 'usage: ./build.sh [restore|build|test|format|pack|example|bench|fresh-app|fleet] [extra args...]'
    }
    default { Fail "unknown verb '$Target' (expected restore, build, test, format, pack, example, bench, fresh-app, fleet)" }
}
