"""Make a follow-up of a real radiograph by moving it rigidly: a pair whose true JSN change is 0.

    python benchmarks/make_real_pair.py ../shared/data/real/hands_ra2/UAB001-LH.jpg OUTDIR [--angle 4 --shift 25 -18 --scale 1.03]

writes OUTDIR/baseline.png (the radiograph as loaded) and OUTDIR/followup.png (rotated, shifted and
scaled about the image centre, with fresh noise), then `jsnviewer analyze OUTDIR/baseline.png
OUTDIR/followup.png --out ...` should find the same joints and JSN values near zero.
The images are written outside the repository: they are derived from data that must not be committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy import ndimage

from jsnviewer.radiograph import load_radiograph, save_radiograph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("radiograph")
    parser.add_argument("out")
    parser.add_argument("--angle", type=float, default=4.0, help="degrees, counter-clockwise")
    parser.add_argument("--shift", type=float, nargs=2, default=(25.0, -18.0), metavar=("DX", "DY"))
    parser.add_argument("--scale", type=float, default=1.03)
    parser.add_argument("--noise", type=float, default=2.0, help="grey-level standard deviation added")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    baseline = load_radiograph(args.radiograph)
    pixels = baseline.pixels.astype(np.float64)
    h, w = pixels.shape
    a = np.deg2rad(args.angle)
    rot = args.scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])  # (x, y) follow-up = rot @ (x, y) + t
    centre = np.array([w / 2, h / 2])
    t = centre + np.asarray(args.shift) - rot @ centre
    inverse = np.linalg.inv(rot)
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    src = np.einsum("ij,jhw->ihw", inverse, np.stack([xx - t[0], yy - t[1]]))
    moved = ndimage.map_coordinates(pixels, [src[1] - 0.5, src[0] - 0.5], order=3, mode="constant", cval=float(np.percentile(pixels, 1)))
    moved += np.random.default_rng(args.seed).normal(0, args.noise, moved.shape)
    top = 255 if baseline.bits_stored <= 8 else 2 ** baseline.bits_stored - 1
    followup = type(baseline)(**{**vars(baseline), "pixels": np.clip(np.rint(moved), 0, top).astype(np.float32), "path": None})
    out = Path(args.out)
    save_radiograph(out / "baseline.png", baseline, "png")
    save_radiograph(out / "followup.png", followup, "png")
    print(f"wrote {out / 'baseline.png'} and {out / 'followup.png'} (rotation {args.angle} deg, shift {args.shift}, scale {args.scale})")


if __name__ == "__main__":
    main()
