"""Per-bone similarity transforms: the paper's Eq. 1, the differentiable warp, and JSN (Eq. 7).

Parameters of one bone are P = (dz, dθ, dx, dy) about a pivot o and describe the **content motion**
that brings the bone of the moving image G (follow-up) onto its place in the fixed image F (baseline):

    q_F = o + (dx, dy) + dz · R(dθ) · (q_G − o)

with points in the crop's continuous pixel frame (pixel (row i, col j) has its centre at
(x, y) = (j + 0.5, i + 0.5)), R(dθ) = [[cos, −sin], [sin, cos]] (with +y down, positive dθ turns the
image clockwise on screen). dz and dθ act about o, and (dx, dy) is the displacement of G's point o in
crop pixels, +x right, +y down: a bone of G that must move 2 px up to lie on F has dy = −2.
`BoneTransform.centre` is o − c, the pivot's offset from the crop centre c = (W/2, H/2); the network
and the warp use o = c (centre (0, 0)).

For o = c the warp's sampling matrix (fixed → moving, G'(p) = G(c + t·(p − c))), the inverse of the
content motion, is exactly the paper's Eq. 1 evaluated at (1/dz, −dθ, −dx, −dy):
    Eq1(dz, dθ, dx, dy) = dz·R(dθ)·[I | (dx, dy)]   (translate, then rotate and scale).

JSN (Eq. 7) = dy0 − dy1 with both bones' parameters about the same pivot. Results report them about
the **joint centre of the follow-up** (the point of G that the lower bone's transform brings onto the
joint centre of F, found from F's masks), so JSN is the vertical shift of the upper bone against the
lower one measured at the joint: a relative rotation of the bones (flexion) then does not leak into it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BoneTransform:
    """Content motion of one bone from the moving onto the fixed crop (see the module docstring)."""

    dz: float = 1.0
    dtheta: float = 0.0  # radians
    dx: float = 0.0  # crop pixels
    dy: float = 0.0  # crop pixels, +y down
    centre: tuple[float, float] = (0.0, 0.0)  # pivot o − crop centre, crop pixels

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.dz, self.dtheta, self.dx, self.dy)

    def content_matrix(self) -> np.ndarray:
        """3×3 content motion in centred crop pixels (moving → fixed)."""
        c, s = math.cos(self.dtheta), math.sin(self.dtheta)
        ox, oy = self.centre
        a00, a01, a10, a11 = self.dz * c, -self.dz * s, self.dz * s, self.dz * c
        tx = ox + self.dx - (a00 * ox + a01 * oy)
        ty = oy + self.dy - (a10 * ox + a11 * oy)
        return np.array([[a00, a01, tx], [a10, a11, ty], [0, 0, 1]], dtype=np.float64)

    def sampling_matrix(self) -> np.ndarray:
        """3×3 sampling matrix in centred crop pixels (fixed → moving); for pivot c it is Eq. 1 at
        (1/dz, −dθ, −dx, −dy)."""
        if self.centre == (0.0, 0.0):
            return eq1_matrix(1.0 / self.dz, -self.dtheta, -self.dx, -self.dy)
        return np.linalg.inv(self.content_matrix())

    def about(self, centre: tuple[float, float]) -> "BoneTransform":
        """The same motion with the pivot at `centre` (offset from the crop centre)."""
        return BoneTransform.from_content_matrix(self.content_matrix(), centre)

    @staticmethod
    def from_content_matrix(m: np.ndarray, centre: tuple[float, float] = (0.0, 0.0)) -> "BoneTransform":
        """The similarity nearest to a 3×3 content matrix (centred crop pixels), about `centre`."""
        a, b = (m[0, 0] + m[1, 1]) / 2.0, (m[1, 0] - m[0, 1]) / 2.0
        ox, oy = float(centre[0]), float(centre[1])
        mx = m[0, 0] * ox + m[0, 1] * oy + m[0, 2]
        my = m[1, 0] * ox + m[1, 1] * oy + m[1, 2]
        return BoneTransform(float(math.hypot(a, b)), float(math.atan2(b, a)), float(mx - ox), float(my - oy), (ox, oy))

    @staticmethod
    def from_crop_matrix(m: np.ndarray, size: tuple[int, int]) -> "BoneTransform":
        """From a 3×3 map in absolute crop pixels (fixed → moving, as the phantom gives it)."""
        h, w = size
        to_centred = np.array([[1, 0, -w / 2.0], [0, 1, -h / 2.0], [0, 0, 1]])
        sampling = to_centred @ np.asarray(m, dtype=np.float64) @ np.linalg.inv(to_centred)
        return BoneTransform.from_content_matrix(np.linalg.inv(sampling))


def eq1_matrix(dz: float, dtheta: float, dx: float, dy: float) -> np.ndarray:
    """The paper's Eq. 1, literally."""
    c, s = math.cos(dtheta), math.sin(dtheta)
    return np.array(
        [
            [dz * c, -dz * s, dx * dz * c - dy * dz * s],
            [dz * s, dz * c, dx * dz * s + dy * dz * c],
            [0.0, 0.0, 1.0],
        ]
    )


def at_joint(upper: BoneTransform, lower: BoneTransform, joint_centre: tuple[float, float]) -> tuple[BoneTransform, BoneTransform]:
    """Both transforms about the follow-up's joint centre: the point of G that `lower` brings onto
    `joint_centre` of F (offset from the crop centre, crop pixels)."""
    q = np.linalg.inv(lower.content_matrix()) @ np.array([joint_centre[0], joint_centre[1], 1.0])
    o = (float(q[0]), float(q[1]))
    return upper.about(o), lower.about(o)


def jsn_px(upper: BoneTransform, lower: BoneTransform) -> float:
    """Eq. 7: JSN = dy0 − dy1 (follow-up width − baseline width; narrowing negative), both about one pivot."""
    if upper.centre != lower.centre:
        raise ValueError("JSN needs both bones' parameters about the same pivot")
    return upper.dy - lower.dy


def joint_centre(upper: np.ndarray, lower: np.ndarray) -> tuple[float, float]:
    """The joint centre of a crop from its bone masks (offset from the crop centre, crop pixels), the one
    point where JSN is read, by the registration (of the baseline's masks) and by the phantom's truth:
    the middle of the joint space, half-way between the upper bone's lowest and the lower bone's highest
    pixel, over the middle half of the columns where both bones are present."""
    upper, lower = np.asarray(upper) > 0, np.asarray(lower) > 0
    h, w = upper.shape
    cols = np.nonzero(upper.any(0) & lower.any(0))[0]
    if cols.size == 0:
        return (0.0, 0.0)
    cols = cols[len(cols) // 4 : max(len(cols) - len(cols) // 4, len(cols) // 4 + 1)]
    rows = np.arange(h)[:, None]
    bottom = np.where(upper[:, cols], rows, -1).max(0) + 1.0  # lower edge of the upper bone
    top = np.where(lower[:, cols], rows, h).min(0).astype(np.float64)  # upper edge of the lower bone
    return (float(cols.mean()) + 0.5 - w / 2.0, float(np.mean((bottom + top) / 2.0)) - h / 2.0)


# ---- torch: the differentiable warp used by the network and its training ---------------------


def sampling_theta(params, height: int, width: int):
    """affine_grid matrices (B, 2, 3) for content-motion params (B, 4) = (dz, dθ, dx, dy) given in
    pixels of an image of `height`×`width` (align_corners=False)."""
    import torch

    dz, th, dx, dy = params.unbind(-1)
    c, s = torch.cos(th), torch.sin(th)
    inv = 1.0 / dz
    # inverse content motion in centred pixels: v ↦ R(−θ)(v − d)/dz
    a00, a01, a10, a11 = c * inv, s * inv, -s * inv, c * inv
    tx = -(a00 * dx + a01 * dy)
    ty = -(a10 * dx + a11 * dy)
    hw, hh = width / 2.0, height / 2.0
    row0 = torch.stack([a00, a01 * hh / hw, tx / hw], -1)
    row1 = torch.stack([a10 * hw / hh, a11, ty / hh], -1)
    return torch.stack([row0, row1], -2)


def warp(images, params, mode: str = "bilinear", padding_mode: str = "border"):
    """Warp (B, C, H, W) moving images by per-sample content-motion params (B, 4) in their own pixels."""
    import torch.nn.functional as F

    b, _, h, w = images.shape
    theta = sampling_theta(params.to(images.dtype), h, w)
    grid = F.affine_grid(theta, [b, 1, h, w], align_corners=False)
    return F.grid_sample(images, grid, mode=mode, padding_mode=padding_mode, align_corners=False)


def scale_params(params, factor: float):
    """Content params for the same motion on an image resized by `factor` (translations scale)."""
    import torch

    return torch.cat([params[..., :2], params[..., 2:] * factor], -1)
