"""Make a follow-up of a real radiograph by moving it rigidly: a pair whose true JSN change is 0.

    python benchmarks/make_real_pair.py ../shared/data/real/hands_ra2/UAB001-LH.jpg OUTDIR [--angle 4 --shift 25 -18 --scale 1.03]
    python benchmarks/make_real_pair.py ../shared/data/real/hands_ra2/UAB001-{RH,LH}.jpg OUTDIR   # both hands

writes OUTDIR/baseline.png (the radiograph as loaded) and OUTDIR/followup.png (turned, shifted and
scaled about the image centre, with fresh noise: jsnviewer.phantom.moved.rigidly_moved), then `jsnviewer analyze OUTDIR/baseline.png
OUTDIR/followup.png --out ...` should find the same joints and JSN values near zero.
Given two radiographs (a right and a left hand), each visit shows them side by side, the first on the image's
left as a postero-anterior film of both hands is seen, padded to one height; in the follow-up each hand
moves on its own (the second turned the other way, its shift mirrored, with other noise).
The images are written outside the repository: they are derived from data that must not be committed.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from jsnviewer.phantom.moved import rigidly_moved
from jsnviewer.radiograph import load_radiograph, save_radiograph


def beside(radiographs: list):
    """The radiographs side by side, padded at the bottom to one height with their 1st-percentile grey."""
    if len(radiographs) == 1:
        return radiographs[0]
    height = max(r.pixels.shape[0] for r in radiographs)
    parts = [np.pad(r.pixels, ((0, height - r.pixels.shape[0]), (0, 0)), constant_values=float(np.percentile(r.pixels, 1)))
             for r in radiographs]
    return dataclasses.replace(radiographs[0], pixels=np.concatenate(parts, axis=1), path=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("radiograph", nargs="+", help="one radiograph, or two to put side by side")
    parser.add_argument("out")
    parser.add_argument("--angle", type=float, default=4.0, help="degrees (clockwise on screen)")
    parser.add_argument("--shift", type=float, nargs=2, default=(25.0, -18.0), metavar=("DX", "DY"))
    parser.add_argument("--scale", type=float, default=1.03)
    parser.add_argument("--noise", type=float, default=2.0, help="grey-level standard deviation added")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if len(args.radiograph) > 2:
        parser.error("one radiograph, or two (a right and a left hand) to put side by side")
    hands = [load_radiograph(path) for path in args.radiograph]
    moved = [rigidly_moved(hand, args.angle * sign, (args.shift[0] * sign, args.shift[1]), args.scale, args.noise, args.seed + k)
             for k, (hand, sign) in enumerate(zip(hands, (1, -1)))]
    baseline, followup = beside(hands), beside(moved)
    out = Path(args.out)
    save_radiograph(out / "baseline.png", baseline, "png")
    save_radiograph(out / "followup.png", followup, "png")
    print(f"wrote {out / 'baseline.png'} and {out / 'followup.png'} (rotation {args.angle} deg, shift {args.shift}, scale {args.scale})")


if __name__ == "__main__":
    main()
