"""σ (Eq. 8–10) and σ' (Eq. 11–12) on constructed cases with known answers."""

import numpy as np
import pytest

from jsnviewer.registration.metrics import (direct_pairs, indirect_residuals, population_std, random_shifts, sigma_pairs,
                                            sigma_pairs_unflagged, sigma_prime, slope_against_truth)


def _consistent(widths):
    w = np.asarray(widths, float)
    return w[None, :] - w[:, None]  # JSN with crop i fixed, j moving = width_j − width_i


def test_sigma_is_zero_for_consistent_measurements():
    assert sigma_pairs(_consistent([3.0, 2.5, 2.9, 2.0])) == pytest.approx([0.0] * 6, abs=1e-12)


def test_sigma_of_one_biased_registration():
    jsn = _consistent([3.0, 2.5, 2.9])
    jsn[0, 1] += 0.2  # one registration (fixed 0, moving 1) is 0.2 px off
    # pair (0,1): {J01, J02 + J21} differ by 0.2 -> σ 0.1; (0,2): {J02, J01 + J12} -> 0.1; (1,2): {J12, J10 + J02} -> 0
    assert sigma_pairs(jsn) == pytest.approx([0.1, 0.1, 0.0])


def test_sigma_of_the_unflagged_registrations_leaves_out_the_flagged_ones_and_pairs_left_without_a_path():
    jsn = _consistent([3.0, 2.5, 2.9, 2.0])
    jsn[0, 1] += 3.0  # one registration 3 px off ...
    flagged = np.zeros(jsn.shape, bool)
    assert max(sigma_pairs_unflagged(jsn, flagged)) > 1.0  # ... unflagged: it shows
    flagged[0, 1] = True  # ... flagged: pair (0, 1) is left out, and no indirect value passes through it
    assert sigma_pairs_unflagged(jsn, flagged) == pytest.approx([0.0] * 5, abs=1e-12)
    flagged[:] = True
    flagged[0, 2] = flagged[2, 3] = False  # pair (0, 2) stands but none of its paths: left out; (2, 3) likewise
    assert sigma_pairs_unflagged(jsn, flagged) == []


def test_sigma_needs_three_crops():
    assert sigma_pairs(_consistent([1.0, 2.0])) == []


def test_a_method_that_measures_nothing_is_perfectly_consistent_but_has_no_spread():
    jsn = _consistent([3.0, 2.5, 2.9, 2.0])
    assert population_std(direct_pairs(jsn)) > 0.3
    silent = np.zeros_like(jsn)
    assert sigma_pairs(silent) == [0.0] * 6 and population_std(direct_pairs(silent)) == 0.0
    assert direct_pairs(jsn) == [jsn[0, 1], jsn[0, 2], jsn[0, 3], jsn[1, 2], jsn[1, 3], jsn[2, 3]]
    assert direct_pairs(jsn[:2, :2]) == []  # the pairs σ covers only


def test_slope_shows_a_method_that_shrinks_jsn():
    truth = np.random.default_rng(1).normal(0.0, 0.3, 200)
    assert slope_against_truth(truth + 0.05, truth) == pytest.approx(1.0)
    assert slope_against_truth(0.5 * truth, truth) == pytest.approx(0.5)
    assert slope_against_truth([0.2], [0.3]) is None  # one pair: no slope (not NaN in the JSON)


def test_one_registration_far_from_what_the_others_say_stands_out():
    jsn = _consistent([3.0, 2.5, 2.9, 2.0])
    assert np.nanmax(indirect_residuals(jsn)) == pytest.approx(0.0, abs=1e-12)
    jsn[0, 1] += 3.0  # one registration 3 px off
    r = indirect_residuals(jsn)
    assert r[0, 1] == pytest.approx(3.0)  # both of its indirect values agree with each other
    assert r[0, 2] == pytest.approx(1.5)  # one of its two indirect values passes through the bad one
    assert np.isnan(np.diag(r)).all() and np.isnan(indirect_residuals(jsn[:2, :2])).all()


def test_sigma_prime_drops_mismatches():
    trials = [1.0, 1.1, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 5.0]
    s, mismatches = sigma_prime(trials)
    assert mismatches == 1
    assert s == pytest.approx(population_std(trials[:9]))
    assert s == pytest.approx(np.sqrt(0.02 / 9))


def test_sigma_prime_of_two_clusters_is_defined():
    # the middle two values are 2 px apart: the lower median (1.0) is the reference
    s, mismatches = sigma_prime([1.0] * 5 + [3.0] * 5)
    assert s == 0.0 and mismatches == 5


def test_shifts_stay_within_three_pixels():
    s = random_shifts(np.random.default_rng(0), 1000)
    assert s.shape == (1000, 2) and np.abs(s).max() <= 3.0 and np.abs(s).max() > 2.9


def test_a_trial_is_a_mismatch_beyond_half_a_pixel_from_the_lower_median():
    """The paper's limit: 0.5 px (0.0875 mm at 0.175 mm/px). A trial exactly 0.5 px off still counts."""
    assert sigma_prime([0.0] * 9 + [0.6]) == (0.0, 1)
    assert sigma_prime([0.0] * 9 + [0.5])[1] == 0
    assert sigma_prime([0.0] * 9 + [-0.75]) == (0.0, 1)
    # two uneven clusters: the lower median (0.5, in the lower one) is the reference, so the lower
    # cluster's spread is σ' and the upper cluster is mismatched
    s, mismatches = sigma_prime([0.0, 0.0, 0.25, 0.5, 0.5, 3.0, 3.0, 3.0, 3.0, 3.0])
    assert mismatches == 5 and s == pytest.approx(population_std([0.0, 0.0, 0.25, 0.5, 0.5]))
