"""Register one joint pair: the network (deep), the network + sub-pixel refinement (refined, the
default) or phase-only correlation (poc). The one entry point for the GUI, the CLI and the benchmark."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as Fn

from jsnviewer.registration.loss import joint_loss, loss_spectrum
from jsnviewer.registration.methods import DEFAULT_METHOD, METHODS
from jsnviewer.registration.network import RegistrationNet
from jsnviewer.registration.poc import poc_register
from jsnviewer.registration.refine import RefineSettings, corner_stack, refine, sample
from jsnviewer.registration.result import JointRegistration, ReliabilityRule, verdict
from jsnviewer.registration.transform import BoneTransform, at_joint, joint_centre, jsn_px, scale_params
from jsnviewer.segmentation.data import normalise_crop


@torch.no_grad()
def network_transforms(model: RegistrationNet, fixed, moving, fixed_upper, fixed_lower, moving_upper, moving_lower) -> tuple[BoneTransform, BoneTransform]:
    """The network's P0, P1 (content motion, crop pixels) for normalised crops."""
    s = model.input_size
    h, w = fixed.shape
    x = torch.from_numpy(np.stack([moving, fixed, moving_upper, moving_lower, fixed_upper, fixed_lower]).astype(np.float32))[None]
    x = Fn.interpolate(x, size=(s, s), mode="area")[0]
    params = model(x[0:1][None], x[1:2][None], (x[2] - x[3])[None, None], (x[4] - x[5])[None, None])[0]
    params = scale_params(params, max(h, w) / model.crop_size).double().numpy()
    return BoneTransform(*map(float, params[0])), BoneTransform(*map(float, params[1]))


def warp_bones(moving: np.ndarray, upper: BoneTransform, lower: BoneTransform, upper_mask: np.ndarray, lower_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The moving crop warped by P0 on the upper mask and by P1 on the lower mask (bilinear, zero
    elsewhere): all that Eq. 3–6 and the loss spectra need."""
    h, w = moving.shape
    corners = corner_stack([moving])
    out = []
    for t, mask in ((upper, upper_mask), (lower, lower_mask)):
        rows, cols = np.nonzero(mask)
        s = t.sampling_matrix()
        x, y = cols + 0.5 - w / 2.0, rows + 0.5 - h / 2.0
        qx = (s[0, 0] * x + s[0, 1] * y + s[0, 2]).astype(np.float32)
        qy = (s[1, 0] * x + s[1, 1] * y + s[1, 2]).astype(np.float32)
        img = np.zeros((h, w), np.float32)
        img[rows, cols] = sample(corners, (h, w), qx, qy)[0][:, 0]
        out.append(img)
    return out[0], out[1]


@dataclass
class Registrator:
    """Holds the network (None for poc) and the settings; `register` measures one joint pair."""

    model: RegistrationNet | None = None
    method: str = DEFAULT_METHOD
    refine_settings: RefineSettings = RefineSettings()
    rule: ReliabilityRule = ReliabilityRule()

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown registration method {self.method!r}: use one of {', '.join(METHODS)}")
        if self.method != "poc" and self.model is None:
            raise ValueError(f"the {self.method} method needs the registration network")

    def register(self, fixed, moving, fixed_upper, fixed_lower, moving_upper, moving_lower,
                 pixel_size_mm: float | None = None, spectra: bool = True,
                 px_per_crop_px: float | None = None) -> JointRegistration:
        """Baseline crop `fixed`, follow-up crop `moving` (same size, grey pixels) and their bone masks; the
        reasons give lengths in mm by `pixel_size_mm` (mm per crop px), else in the px of the picture the crops were
        cut from by `px_per_crop_px`, else in crop px."""
        if np.shape(fixed) != np.shape(moving):
            raise ValueError(f"baseline crop is {np.shape(fixed)}, follow-up crop is {np.shape(moving)}: they must have one size")
        f, g = normalise_crop(fixed), normalise_crop(moving)
        fu, fl = np.asarray(fixed_upper, np.float32) > 0, np.asarray(fixed_lower, np.float32) > 0
        mu, ml = np.asarray(moving_upper, np.float32) > 0, np.asarray(moving_lower, np.float32) > 0
        net_up = net_lo = held = None
        converged = True
        if self.method == "poc":
            up, lo = poc_register(f, g, fu, fl, mu, ml)
        else:
            net_up, net_lo = network_transforms(self.model, f, g, fu, fl, mu, ml)
            up, lo = net_up, net_lo
            if self.method == "refined":
                ru, rl = refine(f, g, fu, fl, net_up, net_lo, self.refine_settings)
                up, lo, converged, held = ru.transform, rl.transform, ru.converged and rl.converged, rl.turn_held
        centre = joint_centre(fu, fl)
        up, lo = at_joint(up, lo, centre)
        turn_check_px = None if held is None else jsn_px(*at_joint(up, held, centre)) - jsn_px(up, lo)
        if net_up is not None:
            net_up, net_lo = at_joint(net_up, net_lo, centre)
        wu, wl = warp_bones(g, up, lo, fu, fl)
        fu32, fl32 = fu.astype(np.float32), fl.astype(np.float32)
        result = JointRegistration(
            method=self.method,
            upper=up,
            lower=lo,
            pixel_size_mm=pixel_size_mm,
            original_loss=joint_loss(f, g, g, fu32, fl32),
            transformed_loss=joint_loss(f, wu, wl, fu32, fl32),
            spectrum_original=loss_spectrum(f, g, g, fu32, fl32) if spectra else None,
            spectrum_transformed=loss_spectrum(f, wu, wl, fu32, fl32) if spectra else None,
            network_upper=net_up if self.method == "refined" else None,
            network_lower=net_lo if self.method == "refined" else None,
            turn_check_px=turn_check_px,
            px_per_crop_px=px_per_crop_px,
        )
        result.reasons = verdict(result, self.rule, converged)
        return result
