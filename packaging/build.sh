#!/usr/bin/env bash
# Build the packaged program: dist/jsnviewer/ (run dist/jsnviewer/jsnviewer) and an archive of it,
# dist/jsnviewer-<version>-linux-<arch>.tar.gz. Prints the build time and the sizes.
# Needs the project environment with the `package` extra: pip install -e '.[package]'.
# Usage: packaging/build.sh [--no-archive]      (PYTHON=... to choose the interpreter; default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
ARCHIVE=1
[ "${1:-}" = "--no-archive" ] && ARCHIVE=0

"$PYTHON" -c "import PyInstaller" 2>/dev/null || { echo "PyInstaller is missing: $PYTHON -m pip install -e '.[package]'" >&2; exit 1; }
missing=()
for name in segmenter registration detector_ankylosis detector_subluxation joint_findings; do
  [ -s "models/$name.pt" ] || missing+=("models/$name.pt")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "warning: building without ${missing[*]}; the program will say so and its self-test will fail" >&2
fi

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/jsnviewer.spec
# torch's libraries come with their full symbol tables (about 90 MB); the program needs only the
# dynamic symbols, which strip --strip-unneeded keeps.
if command -v strip >/dev/null 2>&1; then
  strip --strip-unneeded dist/jsnviewer/_internal/torch/lib/lib*.so*
fi
built=$(date +%s)

# Nothing from ../shared (the real radiographs and papers) may end up in the package: neither a
# file whose source lies there (PyInstaller's table of contents) nor one named like it.
SHARED=$(cd "$ROOT/.." && pwd)/shared
if grep -rqsF "$SHARED" build/pyinstaller/jsnviewer/*.toc; then
  echo "error: the package collected files from $SHARED" >&2; exit 1
fi
if (cd dist/jsnviewer && find . -type f) | grep -E "(^|/)(shared|seeds|joint_crops|joint_pair_sample|hands_ra2|hands_rsna_shsnet)/|data/real/"; then
  echo "error: the package holds data files (listed above)" >&2; exit 1
fi

version=$("$PYTHON" -c "import jsnviewer; print(jsnviewer.__version__)")
archive=""
if [ $ARCHIVE = 1 ]; then
  archive=dist/jsnviewer-$version-linux-$(uname -m).tar.gz
  tar -C dist -cf - jsnviewer | gzip -6 > "$archive.part" && mv "$archive.part" "$archive"
fi
end=$(date +%s)

echo "build time: $((built - start)) s (PyInstaller), $((end - start)) s in all"
echo "folder: dist/jsnviewer $(du -sm dist/jsnviewer | cut -f1) MB, $(find dist/jsnviewer -type f | wc -l) files"
[ -n "$archive" ] && echo "archive: $archive $(( $(stat -c %s "$archive") / 1048576 )) MB"
echo "run: dist/jsnviewer/jsnviewer (window), dist/jsnviewer/jsnviewer --self-test (installation check)"
