"""The digitisation pipeline on synthetic prints with exact ground truth."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from workstation.core.layout import LayoutKind, compute_layout, rhythm_lead, rhythm_leads
from workstation.core.leads import STANDARD_LEADS
from workstation.scan.digitize import Adjustments, digitize
from workstation.scan import quality as q
from workstation.scan.grid import axis_grid, fitted
from workstation.scan.metric import snr_by_name, summarise
from workstation.scan.record import to_record
from workstation.scan.synth import degrade, render


def _mean_snr(printout, result) -> float:
    return summarise(snr_by_name(printout.truth, result.signals, result.lead_names))[0]


def test_clean_print_is_measured_accurately(clean_print):
    result = digitize(clean_print.image)
    assert result.layout == "3x4+rhythm"
    assert result.lead_names[:12] == ("I", "II", "III", "aVR", "aVL", "aVF",
                                      "V1", "V2", "V3", "V4", "V5", "V6")
    cal = result.calibration
    assert cal.px_per_mm_x == pytest.approx(200 / 25.4, rel=0.003)
    assert cal.px_per_mm_y == pytest.approx(200 / 25.4, rel=0.003)
    assert cal.gain_mm_mv == 10.0 and cal.pulse_found and cal.grid_found
    assert _mean_snr(clean_print, result) > 12.0
    # LUDB record 1 is a small trace (about 0.1 mV RMS, 8 px at 200 dpi): that is all that is said
    assert result.score > 0.6
    assert all("small or fast trace" in reason for reason in result.reasons)


def test_segments_are_placed_at_their_true_time(clean_print):
    result = digitize(clean_print.image)
    v1 = result.signals[result.lead_names.index("V1")]
    finite = np.flatnonzero(np.isfinite(v1))
    assert 2495 <= finite[0] <= 2505 and 3740 <= finite[-1] <= 3750
    assert np.isnan(v1[:2400]).all() and np.isnan(v1[3800:]).all()


def test_trace_along_a_dark_grid_line_is_kept(ludb_record):
    # grey paper: the 5 mm lines pass the ink threshold, and every baseline lies on one of them;
    # removing whole grid lines (trace included) cost about 4 dB here
    printout = render(ludb_record, dpi=200, style="grey")
    result = digitize(printout.image)
    assert _mean_snr(printout, result) > 10.0


def test_photo_is_flattened_and_still_readable(photo_print):
    result = digitize(photo_print.image)
    assert result.calibration.perspective_corrected
    assert result.layout == "3x4+rhythm"
    assert _mean_snr(photo_print, result) > 8.0


def test_each_kind_of_reason_is_given_once_for_the_page(photo_print):
    # the leads' reasons of one kind are merged, their figures given as a range
    import re

    result = digitize(photo_print.image)
    leads = set(result.lead_names)

    def kind(reason):
        head, _, rest = reason.partition(": ")
        named = rest and all(name in leads for name in head.split(", "))
        return re.sub(r"\d+(\.\d+)?", "#", rest if named else reason)

    kinds = [kind(reason) for reason in result.reasons]
    assert kinds and len(kinds) == len(set(kinds)), result.reasons
    per_lead = [r for t in result.traces for r in t.reasons if "expected SNR" in r]
    if len({r for r in per_lead}) > 1:  # leads differ: the page gives the range
        assert any(re.search(r"expected SNR \d+-\d+ dB", r) for r in result.reasons)


def test_quality_falls_with_the_image(clean_print):
    tiny = render_small = digitize(_downscale(clean_print.image, 0.25))
    assert tiny.score < digitize(clean_print.image).score
    assert any("resolution" in reason for reason in render_small.reasons)


def test_blank_page_has_no_trace_and_says_so():
    page = np.full((800, 1100, 3), 255, np.uint8)
    result = digitize(page)
    assert result.traces == () and result.score == 0.0
    assert "no ECG rows found" in result.reasons


def test_other_layouts_are_recognised(ludb_record):
    for kind, name in ((LayoutKind.SIX_BY_TWO, "6x2"), (LayoutKind.TWELVE_BY_ONE, "12x1")):
        printout = render(ludb_record, kind=kind, dpi=200, style="red")
        result = digitize(printout.image)
        assert result.layout == name
        assert _mean_snr(printout, result) > 6.0


def test_three_rhythm_strips_are_told_from_6x2_by_their_labels(ludb_record):
    printout = render(ludb_record, dpi=200, style="pink", rhythm=("II", "V1", "V5"),
                      font=cv2.FONT_HERSHEY_DUPLEX)
    result = digitize(printout.image)
    assert result.layout == "3x4+rhythm"
    strips = {t.lead for t in result.traces if t.stop - t.start > 4500}
    assert strips == {"II", "V1", "V5"}
    assert not any("6 rows" in reason for reason in result.reasons)
    assert _mean_snr(printout, result) > 12.0


def test_strips_whose_names_are_not_read_are_named_by_their_line(ludb_record, monkeypatch):
    # the strips' names go unread (as in a font no template matches): the strips are named by
    # the segment their line matches over the same seconds, the first one included
    _templates_read_the_first_three_rows_only(monkeypatch)
    printout = render(ludb_record, dpi=200, style="pink", rhythm=("V1", "II", "V5"))
    result = digitize(printout.image)
    assert result.layout == "3x4+rhythm"
    assert {t.lead for t in result.traces if t.stop - t.start > 4500} == {"V1", "II", "V5"}
    assert not any("left out" in reason for reason in result.reasons)


def _templates_read_the_first_three_rows_only(monkeypatch):
    """The label templates read no name after the third row (as in a font none matches)."""
    import workstation.scan.digitize as digitizer

    read = digitizer.read_labels
    rows = []

    def first_three_rows_only(*args, **kwargs):
        rows.append(None)
        return read(*args, **kwargs) if len(rows) <= 3 else []

    monkeypatch.setattr(digitizer, "read_labels", first_three_rows_only)
    return digitizer


def _strip_names_unread_by_templates_or_line(monkeypatch):
    """The templates read no name after the third row and the strips are not named by their
    line: only the recogniser can name a strip."""
    digitizer = _templates_read_the_first_three_rows_only(monkeypatch)
    monkeypatch.setattr(digitizer, "_strips_by_signal", lambda leads, *args: leads)
    return digitizer


def test_a_strip_name_the_templates_miss_is_read_by_the_recogniser(ludb_record, monkeypatch):
    pytest.importorskip("rapidocr")
    _strip_names_unread_by_templates_or_line(monkeypatch)
    printout = render(ludb_record, dpi=200, style="red", rhythm=("V1",))
    result = digitize(printout.image)
    assert result.layout == "3x4+rhythm"
    assert {t.lead for t in result.traces if t.stop - t.start > 4500} == {"V1"}


def test_a_strip_whose_name_is_not_read_is_kept_unnamed_not_stored_as_lead_ii(ludb_record, monkeypatch):
    # no name read and no line to name it by: the strip is not guessed to be lead II (this
    # page's strip is V1), it is kept under no lead, with a warning that says so
    digitizer = _strip_names_unread_by_templates_or_line(monkeypatch)
    monkeypatch.setattr(digitizer, "read_name_by_text", lambda *args, **kwargs: None)
    printout = render(ludb_record, dpi=200, style="red", rhythm=("V1",))
    result = digitize(printout.image)
    assert result.layout == "3x4+rhythm"
    assert {t.lead for t in result.traces if t.stop - t.start > 4500} == {f"{digitizer.UNNAMED} 1"}
    assert result.lead_names[:12] == STANDARD_LEADS
    assert any("name not read" in reason for reason in result.reasons)


def test_a_rhythm_strip_shows_the_lead_its_label_names(ludb_record, tmp_path):
    printout = render(ludb_record, dpi=200, style="red", rhythm=("V1",))
    result = digitize(printout.image)
    assert result.layout == "3x4+rhythm"
    assert {t.lead for t in result.traces if t.stop - t.start > 4500} == {"V1"}
    # the sheet of the digitised record draws the page's own strip (V1) under the rows, not
    # the 2.5 s of lead II that the page holds outside it
    path = tmp_path / "page.png"
    cv2.imwrite(str(path), printout.image)
    record = to_record(result, path)
    assert rhythm_lead(record) == "V1" and rhythm_lead(ludb_record) == "II"
    sheet = compute_layout(record.leads, record.n_samples, record.fs, LayoutKind.STANDARD_3X4_RHYTHM,
                           rhythm_lead=rhythm_lead(record))
    assert [(p.lead, p.stop - p.start) for p in sheet.panels if p.rhythm] == [("V1", 5000)]
    v1 = result.signals[result.lead_names.index("V1")]
    assert np.isfinite(v1[:4900]).mean() > 0.95  # the strip, not only V1's 2.5 s segment


@pytest.mark.parametrize("strips", [("II", "V1", "V5"), ()])
def test_the_sheet_draws_every_strip_the_page_printed_and_none_it_did_not(ludb_record, tmp_path, strips):
    # a page with three strips shows all three under the rows, one without shows three rows
    printout = render(ludb_record, dpi=200, rhythm=strips)
    path = tmp_path / "page.png"
    cv2.imwrite(str(path), printout.image)
    record = to_record(digitize(printout.image), path)
    assert rhythm_leads(record) == strips
    sheet = compute_layout(record.leads, record.n_samples, record.fs, LayoutKind.STANDARD_3X4_RHYTHM,
                           rhythm_lead=rhythm_leads(record))
    assert [p.lead for p in sheet.panels if p.rhythm] == list(strips)
    assert len(sheet.rows) == 3 + len(strips)
    assert rhythm_lead(record) == (strips[0] if strips else None)


def test_6x2_is_confirmed_by_its_labels(ludb_record):
    printout = render(ludb_record, kind=LayoutKind.SIX_BY_TWO, dpi=200, style="green",
                      font=cv2.FONT_HERSHEY_TRIPLEX)
    result = digitize(printout.image)
    assert result.layout == "6x2"
    assert not any("6 rows" in reason for reason in result.reasons)


def test_adjusted_gain_scales_the_signal(clean_print):
    base = digitize(clean_print.image)
    halved = digitize(clean_print.image, Adjustments(gain_mm_mv=20.0))
    i = base.lead_names.index("II")
    ratio = np.nanmedian(np.abs(halved.signals[i]) / np.maximum(np.abs(base.signals[i]), 1e-6))
    assert ratio == pytest.approx(0.5, abs=0.01)


def test_grid_period_on_synthetic_paper_at_several_resolutions(ludb_record):
    for dpi in (100, 150, 300):
        printout = degrade(render(ludb_record, dpi=dpi, style="grey"), "scan", seed=1)
        calibration = digitize(printout.image).calibration
        # a page under 5 px/mm is read enlarged: its scale is the enlarged image's
        assert (calibration.enlarged > 1.0) == (dpi < 127)
        assert calibration.px_per_mm_x / calibration.enlarged == pytest.approx(dpi / 25.4, rel=0.01)


def test_grid_scale_is_fitted_on_all_its_lines():
    # lines every 1 mm at 7.874 px/mm (200 dpi), drawn on whole pixels as a printer's raster
    # does: the scale must come out far finer than a pixel over the page (2 parts in 100,000
    # here; a 0.01 % error already moves the end of a 10 s row by half a sample)
    ppm = 200 / 25.4
    profile = np.zeros(2300)
    for k in range(int(2300 / ppm)):
        profile[int(round(k * ppm))] = 2.0 if k % 5 == 0 else 1.0
    grid = axis_grid(profile)
    assert grid is not None and grid.found
    grid = fitted(profile, grid)
    assert grid.px_per_mm == pytest.approx(ppm, rel=5e-5)


def test_time_axis_is_placed_to_a_fraction_of_a_sample(clean_print):
    # the bars between segments place t = 0: every lead fits its truth best unshifted,
    # not a sample early or late
    result = digitize(clean_print.image)
    n = clean_print.truth.shape[1]
    for i in range(12):
        truth, out = clean_print.truth[i], result.signals[i, :n].astype(np.float64)
        shown = np.flatnonzero(np.isfinite(out))
        errors = {}
        for shift in (-1, 0, 1):
            moved = np.interp(np.arange(n) + shift, shown, out[shown])
            errors[shift] = np.nansum((moved - truth) ** 2)
        assert errors[0] < min(errors[-1], errors[1]), result.lead_names[i]


def _best_shift(truth, out):
    """The shift (samples, in quarters) that best fits ``out`` to ``truth``."""
    n = len(truth)
    shown = np.flatnonzero(np.isfinite(out))
    errors = {d: np.nansum((np.interp(np.arange(n) + d, shown, out[shown]) - truth) ** 2)
              for d in np.arange(-1.5, 1.51, 0.25)}
    return min(errors, key=errors.get)


def test_time_axis_of_a_page_without_bars_is_placed_on_the_rows_ends(ludb_record):
    # a 12x1 page has no bars between segments: its rows' right ends, measured to a fraction
    # of a pixel, place t = 0 within a third of a sample (whole-pixel ends: half a sample)
    printout = render(ludb_record, kind=LayoutKind.TWELVE_BY_ONE, dpi=200, style="green")
    result = digitize(printout.image)
    n = printout.truth.shape[1]
    shifts = [_best_shift(printout.truth[i], result.signals[i, :n].astype(np.float64)) for i in range(12)]
    assert all(abs(shift) < 0.4 for shift in shifts), shifts


def test_expected_snr_follows_size_and_speed():
    t = np.arange(5000) / 500.0
    slow = 0.5 * np.sin(2 * np.pi * 1.0 * t)
    fast = 0.5 * np.sin(2 * np.pi * 20.0 * t)
    at = dict(px_per_mm_x=200 / 25.4, px_per_mm_y=200 / 25.4, gain_mm_mv=10.0, fs=500.0)
    assert q.expected_snr(slow, **at) > q.expected_snr(0.1 * slow, **at) + 10.0
    assert q.expected_snr(slow, **at) > q.expected_snr(fast, **at) + 10.0
    # half the resolution, a quarter of the precision: 6 dB less
    lower = dict(at, px_per_mm_x=100 / 25.4, px_per_mm_y=100 / 25.4)
    assert q.expected_snr(fast, **lower) == pytest.approx(q.expected_snr(fast, **at) - 6.02, abs=0.1)
    assert q.fidelity(8.0).reason and "expected SNR 8 dB" in q.fidelity(8.0).reason
    assert q.fidelity(25.0).score == 1.0


def test_grid_of_a_featureless_profile_is_not_found():
    assert axis_grid(np.zeros(500)) is None
    rng = np.random.default_rng(0)
    grid = axis_grid(rng.normal(size=2000))
    assert grid is None or not grid.found


def _downscale(image, factor):
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
