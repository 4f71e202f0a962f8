"""Make a follow-up of a real radiograph by moving it rigidly: a pair whose true JSN change is 0.

    python benchmarks/make_real_pair.py ../shared/data/real/hands_ra2/UAB001-LH.jpg OUTDIR [--angle 4 --shift 25 -18 --scale 1.03]

writes OUTDIR/baseline.png (the radiograph as loaded) and OUTDIR/followup.png (turned, shifted and
scaled about the image centre, with fresh noise: jsnviewer.phantom.moved.rigidly_moved), then `jsnviewer analyze OUTDIR/baseline.png
OUTDIR/followup.png --out ...` should find the same joints and JSN values near zero.
The images are written outside the repository: they are derived from data that must not be committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jsnviewer.phantom.moved import rigidly_moved
from jsnviewer.radiograph import load_radiograph, save_radiograph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("radiograph")
    parser.add_argument("out")
    parser.add_argument("--angle", type=float, default=4.0, help="degrees (clockwise on screen)")
    parser.add_argument("--shift", type=float, nargs=2, default=(25.0, -18.0), metavar=("DX", "DY"))
    parser.add_argument("--scale", type=float, default=1.03)
    parser.add_argument("--noise", type=float, default=2.0, help="grey-level standard deviation added")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    baseline = load_radiograph(args.radiograph)
    followup = rigidly_moved(baseline, args.angle, tuple(args.shift), args.scale, args.noise, args.seed)
    out = Path(args.out)
    save_radiograph(out / "baseline.png", baseline, "png")
    save_radiograph(out / "followup.png", followup, "png")
    print(f"wrote {out / 'baseline.png'} and {out / 'followup.png'} (rotation {args.angle} deg, shift {args.shift}, scale {args.scale})")


if __name__ == "__main__":
    main()
