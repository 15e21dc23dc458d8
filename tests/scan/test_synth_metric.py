"""The print generator's ground truth and the Challenge 2024 SNR."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workstation.core.layout import LayoutKind
from workstation.scan.metric import snr_by_name, snr_db, snr_per_lead, summarise
from workstation.scan.synth import GRID_STYLES, LEVELS, degrade, render


def test_truth_shows_each_lead_only_where_printed(clean_print, ludb_record):
    truth = clean_print.truth
    assert truth.shape == (12, 5000)
    shown = np.isfinite(truth).sum(axis=1)
    # 3x4: every lead for 2.5 s, lead II also as the 10 s rhythm strip
    assert shown[1] == 5000
    assert all(shown[i] == 1250 for i in range(12) if i != 1)
    assert np.isfinite(truth[6, 2500:3750]).all() and np.isnan(truth[6, :2500]).all()
    np.testing.assert_array_equal(truth[6, 2500:3750], ludb_record.lead("V1")[2500:3750])


def test_page_is_a4_at_the_requested_resolution(clean_print):
    h, w = clean_print.image.shape[:2]
    assert abs(w - 297 * 200 / 25.4) <= 1 and abs(h - 210 * 200 / 25.4) <= 1
    assert clean_print.image.dtype == np.uint8


@pytest.mark.parametrize("level", LEVELS)
def test_degradation_is_reproducible_and_changes_the_page(clean_print, level):
    a, b = degrade(clean_print, level, seed=7), degrade(clean_print, level, seed=7)
    np.testing.assert_array_equal(a.image, b.image)
    assert a.level == level
    if level != "clean":
        assert not np.array_equal(a.image[:100, :100], clean_print.image[:100, :100]) or \
            a.image.shape != clean_print.image.shape


def test_other_layouts_and_styles_render(ludb_record):
    for kind, rhythm_samples in ((LayoutKind.SIX_BY_TWO, 2500), (LayoutKind.TWELVE_BY_ONE, 5000)):
        printout = render(ludb_record, kind=kind, dpi=100, style="green")
        assert printout.layout is kind
        assert np.isfinite(printout.truth[0]).sum() == rhythm_samples
    assert set(GRID_STYLES) >= {"pink", "red", "green", "grey"}


def test_unknown_level_is_refused(clean_print):
    with pytest.raises(ValueError, match="unknown degradation level"):
        degrade(clean_print, "fax")


def test_snr_matches_its_definition():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 1000)
    noise = rng.normal(0, 0.1, 1000)
    expected = 10 * math.log10(np.sum(x**2) / np.sum(noise**2))
    assert snr_db(x, x + noise) == pytest.approx(expected)
    assert snr_db(x, x) == math.inf
    assert snr_db(x, np.zeros_like(x)) == pytest.approx(0.0)


def test_snr_scores_only_what_is_shown_and_missing_output_as_zero():
    ref = np.array([np.nan, np.nan, 1.0, -1.0])
    assert snr_db(ref, np.array([5.0, 5.0, 1.0, -1.0])) == math.inf  # outside the shown part: free
    assert snr_db(ref, np.array([0.0, 0.0, np.nan, np.nan])) == pytest.approx(0.0)
    assert math.isnan(snr_db(np.full(4, np.nan), np.zeros(4)))


def test_snr_per_lead_pads_a_short_output_and_summarise_skips_nan():
    ref = np.ones((2, 10))
    out = np.ones((2, 5))
    values = snr_per_lead(ref, out)
    assert values == pytest.approx([10 * math.log10(10 / 5)] * 2)
    assert summarise([1.0, 3.0, math.nan]) == (2.0, 2.0)


def test_digitised_leads_are_scored_by_name_and_a_missing_one_as_zero():
    # the output has an extra unnamed strip first and lacks lead "B": A is scored against A,
    # B as a missing output (0 dB), and the strip takes no part
    ref = np.array([[1.0, -1.0, 2.0], [1.0, 1.0, 1.0]])
    out = np.array([[9.0, 9.0, 9.0], [1.0, -1.0, 2.0]])
    values = snr_by_name(ref, out, ("strip (name not read) 1", "A"), ("A", "B"))
    assert values[0] == math.inf and values[1] == pytest.approx(0.0)
