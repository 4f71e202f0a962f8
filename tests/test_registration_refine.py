"""Sub-pixel refinement, the phase-correlation baseline and the JSN sign on images."""

import dataclasses

import numpy as np
import pytest
from scipy import ndimage

from jsnviewer.registration.poc import poc_register
from jsnviewer.registration.refine import RefineSettings, bone_regions, corner_stack, refine
from jsnviewer.registration.register import Registrator
from jsnviewer.registration.transform import BoneTransform, at_joint, joint_centre, jsn_px


def _fourier_shift(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    return np.real(np.fft.ifft2(ndimage.fourier_shift(np.fft.fft2(img), (dy, dx)))).astype(np.float32)


@pytest.fixture(scope="module")
def real_crop(real_data):
    from jsnviewer.segmentation.data import find_crops, load_sample

    return load_sample(find_crops(real_data / "joint_crops")[0])


@pytest.fixture(scope="module")
def narrowed(real_crop):
    """The real crop as baseline and a follow-up whose upper bone sits 1.3 px lower (narrowing by
    1.3 px) and whose whole content is shifted by (0.6, −0.4) px."""
    f = real_crop.image
    split = joint_centre(real_crop.upper, real_crop.lower)[1] + f.shape[0] / 2  # row of the joint centre
    rows = np.arange(f.shape[0], dtype=np.float32)[:, None] + 0.5
    w = 1.0 / (1.0 + np.exp(np.clip((rows - split - 0.9) / 0.5, -50, 50)))  # 1 above the (moved) middle of the joint space
    g = _fourier_shift(f, 0.6, -0.4 + 1.3) * w + _fourier_shift(f, 0.6, -0.4) * (1 - w)
    mu = ndimage.shift(real_crop.upper.astype(float), (0.9, 0.6), order=0) > 0.5
    ml = ndimage.shift(real_crop.lower.astype(float), (-0.4, 0.6), order=0) > 0.5
    return f, g, real_crop.upper, real_crop.lower, mu, ml


def test_refinement_recovers_subpixel_bone_shifts(narrowed):
    f, g, fu, fl, _, _ = narrowed
    ru, rl = refine(f, g, fu, fl, BoneTransform(), BoneTransform())
    assert ru.converged and rl.converged
    assert (ru.transform.dx, ru.transform.dy) == (pytest.approx(-0.6, abs=0.03), pytest.approx(-0.9, abs=0.03))
    assert (rl.transform.dx, rl.transform.dy) == (pytest.approx(-0.6, abs=0.03), pytest.approx(0.4, abs=0.03))


def test_refinement_recovers_the_shifts_when_the_network_starts_far_off(narrowed):
    # what the network answers when a follow-up's mask is wrong: its largest scale, a turn, a shift
    f, g, fu, fl, _, _ = narrowed
    far = BoneTransform(1.24, 0.17, -6.0, -8.0)
    ru, rl = refine(f, g, fu, fl, far, far)
    assert ru.converged and rl.converged
    assert (ru.transform.dx, ru.transform.dy) == (pytest.approx(-0.6, abs=0.03), pytest.approx(-0.9, abs=0.03))
    assert (rl.transform.dx, rl.transform.dy) == (pytest.approx(-0.6, abs=0.03), pytest.approx(0.4, abs=0.03))
    only_network = refine(f, g, fu, fl, far, far, RefineSettings(starts=("network",)))
    assert not all(r.converged for r in only_network)  # from the network's answer alone it fails


def test_a_good_first_fit_is_not_refined_again_from_no_motion(narrowed):
    # the no-motion start is a fallback for a far-off network answer: a close start that fits well
    # does not pay for it (same result, same iterations as with the network's start alone)
    f, g, fu, fl, _, _ = narrowed
    close = BoneTransform(1.0, 0.0, -0.5, -0.5)
    both = refine(f, g, fu, fl, close, close)
    alone = refine(f, g, fu, fl, close, close, RefineSettings(starts=("network",)))
    for b, a in zip(both, alone):
        assert b.converged and b.loss <= RefineSettings().good_fit_loss
        assert b.iterations == a.iterations and b.transform == a.transform
    always = refine(f, g, fu, fl, close, close, RefineSettings(good_fit_loss=0.0))
    assert all(w.iterations > b.iterations for w, b in zip(always, both))  # the fallback, when forced, does run


def test_narrowing_gives_a_negative_jsn(narrowed):
    f, g, fu, fl, mu, ml = narrowed
    ru, rl = refine(f, g, fu, fl, BoneTransform(), BoneTransform())
    assert jsn_px(*at_joint(ru.transform, rl.transform, joint_centre(fu, fl))) == pytest.approx(-1.3, abs=0.03)
    from jsnviewer.registration.network import build

    refined = Registrator(model=build("small").eval(), method="refined").register(f, g, fu, fl, mu, ml, pixel_size_mm=0.175)
    assert refined.jsn_px == pytest.approx(-1.3, abs=0.03)
    assert refined.jsn_mm == pytest.approx(-1.3 * 0.175, abs=0.006)
    result = Registrator(method="poc").register(f, g, fu, fl, mu, ml, pixel_size_mm=0.175)
    assert result.jsn_px == pytest.approx(-1.3, abs=0.25)
    assert result.jsn_mm == pytest.approx(result.jsn_px * 0.175)
    assert result.transformed_loss < result.original_loss
    assert result.spectrum_transformed.shape == f.shape


def test_refinement_measures_a_phantom_pair_from_a_rough_start():
    from jsnviewer.registration.data import phantom_pair

    fixed, moving, jsn_mm, px, p = phantom_pair(7, 0.175)
    true_u = BoneTransform.from_crop_matrix(p.upper_transform, fixed.image.shape)
    true_l = BoneTransform.from_crop_matrix(p.lower_transform, fixed.image.shape)
    rough = lambda t: BoneTransform(t.dz * 1.02, t.dtheta + 0.03, t.dx + 1.5, t.dy - 1.5)  # noqa: E731
    ru, rl = refine(fixed.image, moving.image, fixed.upper, fixed.lower, rough(true_u), rough(true_l))
    jc = joint_centre(fixed.upper, fixed.lower)
    measured = jsn_px(*at_joint(ru.transform, rl.transform, jc))
    truth = jsn_px(*at_joint(true_u, true_l, jc))
    assert measured == pytest.approx(truth, abs=0.1)


def test_poc_finds_a_translation(real_crop):
    f = real_crop.image
    g = _fourier_shift(f, -2.4, 1.7)
    mu = ndimage.shift(real_crop.upper.astype(float), (1.7, -2.4), order=0) > 0.5
    ml = ndimage.shift(real_crop.lower.astype(float), (1.7, -2.4), order=0) > 0.5
    up, lo = poc_register(f, g, real_crop.upper, real_crop.lower, mu, ml)
    for t in (up, lo):
        assert (t.dx, t.dy) == (pytest.approx(2.4, abs=0.3), pytest.approx(-1.7, abs=0.3))


def test_the_same_crop_twice_measures_no_change_and_is_not_flagged():
    """Nothing to align is not a failed registration: the same image as baseline and follow-up (the
    window and the pair check say so) gives JSN 0 and is trusted, while a pair the refinement could not
    improve is still flagged."""
    from jsnviewer.phantom.crops import make_joint_crop
    from jsnviewer.registration.network import build
    from jsnviewer.registration.result import ReliabilityRule, verdict

    crop = make_joint_crop(3)
    f, fu, fl = crop.image, crop.upper, crop.lower
    result = Registrator(model=build("small").eval(), method="refined").register(f, f.copy(), fu, fl, fu, fl,
                                                                                pixel_size_mm=0.175)
    assert result.original_loss == 0.0 and result.jsn_px == pytest.approx(0.0, abs=0.01)
    assert result.reliable, result.reasons
    result.original_loss, result.transformed_loss = 0.03, 0.031  # a real pair left worse than it started
    assert verdict(result, ReliabilityRule()) and "could not be laid onto the baseline" in verdict(result, ReliabilityRule())[0]


def test_the_turn_check_measures_how_far_jsn_rests_on_the_lower_bones_turn():
    """A phantom pair whose bones did not turn: holding the lower bone's turn at the network's changes
    nothing, so the check is near 0 and the pair is trusted; with the check off there is no figure."""
    from jsnviewer.phantom import make_joint_pair
    from jsnviewer.registration.network import build
    from jsnviewer.registration.refine import RefineSettings

    p = make_joint_pair(4, max_rotation_deg=0.0, max_scale=0.0, max_shift_px=2.0)
    args = (p.fixed, p.moving, p.fixed_upper, p.fixed_lower, p.moving_upper, p.moving_lower)
    net = build("small").eval()
    result = Registrator(model=net, method="refined").register(*args, pixel_size_mm=p.pixel_size_mm)
    assert result.turn_check_px is not None and abs(result.turn_check_px) < 0.2
    assert result.reliable, result.reasons
    off = Registrator(model=net, method="refined", refine_settings=RefineSettings(turn_check=0.0)).register(*args)
    assert off.turn_check_px is None and off.jsn_px == pytest.approx(result.jsn_px, abs=1e-9)


def test_a_jsn_that_moves_with_the_lower_bones_turn_is_flagged():
    from jsnviewer.registration.result import JointRegistration, ReliabilityRule, verdict

    def with_check(px):
        return JointRegistration("refined", BoneTransform(), BoneTransform(), 0.175, 0.05, 0.02, turn_check_px=px)

    reasons = verdict(with_check(-1.6), ReliabilityRule())
    # in a radiologist's words, with the figure in mm (the pixel size is known)
    assert reasons == ["the lower (proximal) bone's tilt is not pinned down by the images (a slightly different tilt "
                       "fits them as well and moves JSN by -0.28 mm): judge this joint by eye"]
    assert verdict(with_check(0.4), ReliabilityRule()) == [] and verdict(with_check(None), ReliabilityRule()) == []


def test_bone_regions_reach_into_the_soft_tissue_and_keep_off_the_other_bone():
    upper = np.zeros((40, 40), bool)
    lower = np.zeros((40, 40), bool)
    upper[3:15, 10:30] = True
    lower[19:29, 10:30] = True
    up, lo = bone_regions(upper, lower, margin_px=3, gap_px=4)
    # 3 px into the soft tissue (4-neighbour steps: a diamond round the corners), not 4
    assert up[0, 20] and up[5, 7] and not up[5, 6] and up[2, 8] and not up[1, 8]
    assert lo[31, 20] and not lo[32, 20]
    # nothing within 4 px of the other bone, even of the bone's own mask: the joint space is cut in two
    assert up[14, 20] and not up[15, 20] and lo[19, 20] and not lo[18, 20] and not (up | lo)[15:19, 10:30].any()
    # a bone without a mask has no region, and the other bone's region is then not cut
    none_up, whole_lo = bone_regions(np.zeros_like(upper), lower, margin_px=3, gap_px=4)
    assert not none_up.any() and whole_lo[16, 20] and not whole_lo[15, 20]


def test_corner_stack_rows_hold_each_pixel_and_its_right_lower_neighbours():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    rows = corner_stack([a, 10 * a])
    assert rows.shape == (12, 8)
    # pixel (1, 2): itself, right, lower, lower-right neighbour, each with both images
    np.testing.assert_array_equal(rows[1 * 4 + 2], [6, 60, 7, 70, 10, 100, 11, 110])
    # the last column and row repeat their edge
    np.testing.assert_array_equal(rows[2 * 4 + 3, ::2], [11, 11, 11, 11])
    np.testing.assert_array_equal(rows[0 * 4 + 3, ::2], [3, 3, 7, 7])



def _registration(original=0.05, transformed=0.02, net_shift=None):
    """A JointRegistration whose refined bones sit at no motion; `net_shift` (dx, dy): where the
    network had put both bones."""
    from jsnviewer.registration.result import JointRegistration

    net = None if net_shift is None else BoneTransform(dx=net_shift[0], dy=net_shift[1])
    return JointRegistration("refined", BoneTransform(), BoneTransform(), 0.175, original, transformed,
                             network_upper=net, network_lower=net)


def test_a_refinement_that_wanders_far_from_the_network_is_flagged():
    """More than 8 px (the calibrated limit) between the refined and the network's bone positions
    means one of them failed; the distance counts both directions, not only the vertical one."""
    from jsnviewer.registration.result import ReliabilityRule, verdict

    reasons = verdict(_registration(net_shift=(9.0, 0.0)), ReliabilityRule())
    assert reasons == [f"the follow-up's {bone} bone could not be matched reliably (the quick first match and the fine "
                       "match put it 1.57 mm apart): check the joint's boxes and bone outlines, correct them and analyse "
                       "again" for bone in ("upper (distal)", "lower (proximal)")]
    assert len(verdict(_registration(net_shift=(6.0, -6.0)), ReliabilityRule())) == 2  # 8.5 px
    assert verdict(_registration(net_shift=(5.0, -5.0)), ReliabilityRule()) == []  # 7.1 px: within the limit


def test_a_pair_made_worse_from_a_perfect_start_is_flagged():
    """Only a pair whose loss is tiny before *and* after counts as aligned to begin with: the same image
    twice that the registration then pulled apart is a failure, not "nothing to do"."""
    from jsnviewer.registration.result import ReliabilityRule, verdict

    reasons = verdict(_registration(original=0.0, transformed=0.02), ReliabilityRule())
    assert reasons == ["the follow-up's bones could not be laid onto the baseline's (the images differ no less after "
                       "aligning the bones than before, 0.0000 before and 0.0200 after): check the joint's boxes and bone "
                       "outlines, correct them and analyse again"]
    assert verdict(_registration(original=0.0, transformed=0.00005), ReliabilityRule()) == []


def test_a_refinement_that_did_not_converge_is_flagged():
    from jsnviewer.registration.result import ReliabilityRule, verdict

    assert verdict(_registration(), ReliabilityRule(), converged=True) == []
    reasons = verdict(_registration(), ReliabilityRule(), converged=False)
    assert len(reasons) == 1 and "the fine match did not settle" in reasons[0]
    assert reasons[0].endswith(": check the joint's boxes and bone outlines, correct them and analyse again")


def test_a_pixel_size_unknown_gives_the_flags_figures_in_the_px_of_the_radiograph_as_the_jsn_beside_them():
    """A radiologist read "JSN +2.49 px" beside "… put it 9.2 crop px apart" and compared the two numbers, yet a crop
    px is not a radiograph px: given the radiograph px per crop px (the pipeline's crop scale), the reasons' lengths
    are in the radiograph's px, as JSN is, and no crop px needs explaining."""
    from jsnviewer.registration.result import ReliabilityRule, reasons_in_one_line, reasons_said, verdict

    registration = dataclasses.replace(_registration(net_shift=(9.0, 0.0)), pixel_size_mm=None, turn_check_px=1.3,
                                       px_per_crop_px=0.4)
    reasons = verdict(registration, ReliabilityRule())
    assert "put it 3.60 px apart" in reasons[0] and "moves JSN by +0.52 px)" in reasons[2]
    said = reasons_said(reasons) + [reasons_in_one_line(reasons)]
    assert not any("crop px" in line or "mm" in line for line in said), said
    # the limits stay in crop px, the unit the bones are matched in: the same crops are flagged whatever the scale
    assert len(verdict(dataclasses.replace(registration, px_per_crop_px=0.01), ReliabilityRule())) == 3


def test_the_bench_registering_crops_alone_gives_the_flags_figures_in_crop_px_said_once_what_a_crop_px_is():
    from jsnviewer.registration.result import CROP_PX_SAID, ReliabilityRule, reasons_in_one_line, reasons_said, verdict

    registration = dataclasses.replace(_registration(net_shift=(9.0, 0.0)), pixel_size_mm=None, turn_check_px=1.3)
    reasons = verdict(registration, ReliabilityRule())
    assert "put it 9.0 crop px apart" in reasons[0] and "moves JSN by +1.3 crop px)" in reasons[2]
    assert not any("mm" in r for r in reasons)
    said = reasons_said(reasons)
    assert said[-1] == "A crop px is a pixel of the joint's enlarged picture, in which the bones are matched, and is not " \
        "given in mm because the radiographs do not state their pixel size."
    assert sum("crop px is" in line for line in said) == 1 and reasons_in_one_line(reasons).endswith(CROP_PX_SAID)
    assert not any("crop px is" in line for line in reasons_said(verdict(_registration(net_shift=(9.0, 0.0)),
                                                                          ReliabilityRule())))


def test_reasons_are_said_a_line_each_with_their_advice_once_after_them_all():
    """Five failures of one registration are five things seen (a radiologist read three merged into one bullet as
    one) and what to do said once, at the end: the real pair's DIP4 said 'What to do' after its first reason and
    again after its second, where other joints say it once; the CSV joins the same words with '; '."""
    from jsnviewer.registration.result import ReliabilityRule, reasons_in_one_line, reasons_said, verdict

    registration = dataclasses.replace(_registration(original=0.03, transformed=0.04, net_shift=(9.0, 0.0)),
                                       turn_check_px=-1.5)
    reasons = verdict(registration, ReliabilityRule(), converged=False)
    said = reasons_said(reasons)
    todo = "check the joint's boxes and bone outlines, correct them and analyse again; judge this joint by eye"
    assert said == [f"• {r.rpartition(': ')[0]}" for r in reasons] + [f"What to do: {todo}."]
    assert "laid onto" in said[0] and "upper (distal)" in said[1] and "lower (proximal)" in said[2] and "settle" in said[3]
    assert "tilt" in said[4]
    line = reasons_in_one_line(reasons)
    assert line.count("what to do") == 1 and line.endswith(f"; what to do: {todo}")
    assert reasons_said(["a reason without advice"]) == ["• a reason without advice"]


def test_a_bone_that_must_change_its_size_to_fit_is_flagged():
    """Two patients' joints (a reviewer opened UAB001 against UAB002) were called reliable although the
    follow-up's bones had to be enlarged 18 % to lie on the baseline's; a bone keeps its size between visits."""
    from jsnviewer.registration.result import JointRegistration, ReliabilityRule, verdict

    def scaled(upper_dz, lower_dz=1.0):
        return JointRegistration("refined", BoneTransform(dz=upper_dz), BoneTransform(dz=lower_dz), 0.175, 0.17, 0.15)

    assert verdict(scaled(1.18), ReliabilityRule()) == [
        "the follow-up's bones had to change size to lie on the baseline's (the upper (distal) enlarged by 18%), which "
        "bones do not do between visits (another joint or patient, or a very different projection): check the joint's "
        "boxes and bone outlines, correct them and analyse again"]
    both = verdict(scaled(1.14, 0.87), ReliabilityRule())
    assert len(both) == 1 and "(the upper (distal) enlarged by 14% and the lower (proximal) shrunk by 13%)" in both[0]
    assert verdict(scaled(1.11, 0.95), ReliabilityRule()) == []  # repeat visits: 5 % (99 %); phantom pairs up to 11 %


def test_no_reason_speaks_of_the_network_refinement_or_crop_px_where_the_pixel_size_is_known():
    """A radiologist read "refinement moved 9.4 crop px from the network's estimate" as jargon: every reason the
    program gives says what was seen in plain words, its lengths in mm where the pixel size is known."""
    from jsnviewer.pipeline.analyze import OTHER_BONES, OTHER_HAND, OTHER_PATIENT, elsewhere, not_a_hand, off_the_edge
    from jsnviewer.registration.methods import METHODS, comparison_method
    from jsnviewer.registration.result import JointRegistration, ReliabilityRule, verdict

    moved = BoneTransform(dx=9.0)
    registration = JointRegistration("refined", BoneTransform(dz=1.2), BoneTransform(), 0.175, 0.03, 0.04,
                                     network_upper=moved, network_lower=moved, turn_check_px=-1.5)
    measured = verdict(registration, ReliabilityRule(), converged=False)
    assert len(measured) == 6  # every check of `verdict` fired (both bones matched apart)
    assert "1.57 mm apart" in measured[1] and "moves JSN by -0.26 mm" in measured[5]
    given = [off_the_edge(["upper", "lower"], "follow-up"), elsewhere("MCP2", 1.4), OTHER_HAND, OTHER_PATIENT, OTHER_BONES,
             not_a_hand(["baseline", "follow-up"]), *filter(None, map(comparison_method, METHODS))]
    for reason in measured + given:
        what, _, todo = reason.rpartition(": ")
        assert what and todo, reason  # what was seen, then what to do
        assert not any(word in reason.lower() for word in ("network", "refinement", "crop px", "estimate")), reason
