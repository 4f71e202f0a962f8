#!/usr/bin/env bash
# CI step (called by .ci/run after the tests): build the packaged program, unpack its archive in a
# scratch folder as clinic IT would, and run it there in a clean environment (env -i: only PATH and
# HOME, offscreen): the third-party notices, the self-test (synthetic pair through the whole analysis), a window screenshot,
# a JPEG Lossless DICOM and one training step.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
"$PYTHON" -m pip install -q -e '.[package]'
packaging/build.sh
version=$("$PYTHON" -c "import jsnviewer; print(jsnviewer.__version__)")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "dist/jsnviewer-$version-linux-$(uname -m).tar.gz"
mkdir "$work/home"
clean=(env -i PATH=/usr/bin:/bin HOME="$work/home" QT_QPA_PLATFORM=offscreen)
notices="$work/jsnviewer/THIRD-PARTY-NOTICES.txt"
for bundled in "PySide6_Essentials .*LGPL-3.0-only" "torch 2" "python-gdcm" "you may replace them"; do
  grep -q "$bundled" "$notices" || { echo "error: THIRD-PARTY-NOTICES.txt lacks '$bundled'" >&2; exit 1; }
done
echo "THIRD-PARTY-NOTICES.txt: $(sed -n '/^Summary:/,/^$/p' "$notices" | grep -c '^  ') entries, $(( $(stat -c %s "$notices") / 1024 )) KB"
test -f "$work/jsnviewer/_internal/docs/gui.md" || { echo "error: the manual (docs/gui.md) is not in the package" >&2; exit 1; }
test -f "$work/jsnviewer/_internal/docs/manual/getting-started.md" || { echo "error: the user manual (docs/manual/) is not in the package" >&2; exit 1; }
start=$(date +%s)
"${clean[@]}" "$work/jsnviewer/jsnviewer" --self-test
"${clean[@]}" "$work/jsnviewer/jsnviewer" gui --demo --screenshot "$work/window.png"
# A JPEG Lossless radiograph (what archives export) opens with its 12-bit grey levels: GDCM is bundled.
"$PYTHON" tests/dicom_support.py "$work/ljpeg.dcm"
"${clean[@]}" "$work/jsnviewer/jsnviewer" info --json "$work/ljpeg.dcm" | "$PYTHON" -c '
import json, sys
info = json.load(sys.stdin)
seen = (info["width_px"], info["height_px"], info["bits_stored"], info["value_max"], info["pixel_size_mm"])
assert seen == (48, 64, 12, 4092.0, 0.1), seen
print("packaged program opens JPEG Lossless DICOM:", seen)'
# Retraining runs in the package too (an optimizer pulls in parts of torch inference never needs).
"${clean[@]}" "$work/jsnviewer/jsnviewer" train detector --finding ankylosis --synthetic 1 --steps 1 --batch 1 \
  --init "$work/jsnviewer/_internal/models/detector_ankylosis.pt" --out "$work/detector_ankylosis.pt"
echo "packaged program checked in $(( $(date +%s) - start )) s"
