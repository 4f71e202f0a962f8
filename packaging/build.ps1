# Build the packaged program on Windows: dist\jsnviewer\ (run dist\jsnviewer\jsnviewer-gui.exe, or
# jsnviewer.exe in a terminal) and dist\jsnviewer-<version>-windows-x64.zip. Same spec as Linux.
# Needs the project environment with the `package` extra:  .venv\Scripts\python -m pip install -e ".[package]"
# Usage (PowerShell, from anywhere):  packaging\build.ps1 [-NoArchive]     ($env:PYTHON picks the interpreter)
param([switch]$NoArchive)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$Root = (Get-Location).Path
$Python = if ($env:PYTHON) { $env:PYTHON } else { Join-Path $Root ".venv\Scripts\python.exe" }

foreach ($name in "segmenter", "registration", "detector_ankylosis", "detector_subluxation", "joint_findings") {
    if (-not (Test-Path "models\$name.pt")) { Write-Warning "building without models\$name.pt; its self-test will fail" }
}

$watch = [Diagnostics.Stopwatch]::StartNew()
& $Python -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build\pyinstaller packaging\jsnviewer.spec
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
$built = $watch.Elapsed.TotalSeconds

# Nothing from ..\shared may be in the package (PyInstaller's table of contents names every source).
$Shared = Join-Path (Split-Path $Root -Parent) "shared"
if (Select-String -Path build\pyinstaller\jsnviewer\*.toc -SimpleMatch -Pattern $Shared -Quiet) {
    throw "the package collected files from $Shared"
}

$version = & $Python -c "import jsnviewer; print(jsnviewer.__version__)"
if (-not $NoArchive) {
    $archive = "dist\jsnviewer-$version-windows-x64.zip"
    Compress-Archive -Path dist\jsnviewer -DestinationPath $archive -Force
    "archive: $archive {0:N0} MB" -f ((Get-Item $archive).Length / 1MB)
}
$size = (Get-ChildItem dist\jsnviewer -Recurse -File | Measure-Object -Sum Length).Sum / 1MB
"build time: {0:N0} s (PyInstaller), {1:N0} s in all" -f $built, $watch.Elapsed.TotalSeconds
"folder: dist\jsnviewer {0:N0} MB" -f $size
& dist\jsnviewer\jsnviewer.exe --self-test
exit $LASTEXITCODE
