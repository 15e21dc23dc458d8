"""Real scans and photos analysed end to end (digitiser, model, rules): nothing implausible is
reported, a clean page reads its rate, and a misread page is not trusted."""

from __future__ import annotations

import pytest

from rules.analysis import analyze
from rules.types import Triage
from tests.conftest import shared_path

LIMITS = {"hr_bpm": (20, 300), "hr_min_bpm": (20, 300), "hr_max_bpm": (20, 300),
          "pr_ms": (60, 400), "qrs_ms": (40, 250), "qt_ms": (200, 700), "qtc_ms": (250, 700)}


def _analysis(name: str):
    from inference import delineate
    from workstation.io import read_ecg

    record = read_ecg(shared_path("images", "ecg-image-kit_real_samples", name))
    return analyze(record, delineate(record))


@pytest.mark.parametrize("name", ["ecg00001.png", "ecg00004.png", "ecg00011.jpg", "ecg00044.jpg"])
def test_nothing_implausible_is_reported(name):
    from rules.report import to_json_dict

    values = to_json_dict(_analysis(name))["measurements"]
    for key, (low, high) in LIMITS.items():
        assert values[key] is None or low <= values[key] <= high, (key, values[key])


def test_a_clean_scan_reads_its_rate_and_rhythm():
    a = _analysis("ecg00001.png")  # regular sinus rhythm, 10 beats on the 10 s strip
    assert a.measurements.rhythm.hr_bpm.value == pytest.approx(59, abs=3)
    assert a.measurements.rhythm.rr_nrmssd.value < 0.05


def test_a_misread_limb_lead_sets_the_limb_leads_aside_not_the_precordial_leads():
    # ecg00011: its printed rhythm strip is V1; read as lead II it breaks Einthoven's law on the
    # page. The precordial leads, scaled by the same grid, still show the ST elevation the page
    # shows in V4 and V5 (about 4-5 mm on the image).
    a = _analysis("ecg00011.jpg")
    assert not a.quality.amplitudes.limb_consistent
    assert set(a.quality.amplitudes.untrusted_leads) == {"I", "II", "III", "aVR", "aVL", "aVF"}
    st = next(f for f in a.flags if f.id.value == "st_elevation")
    assert "V4" in st.leads and not set(st.leads) & set(a.quality.amplitudes.untrusted_leads)
    assert a.routing.review  # acute; the inferior and lateral ST could not be read


def test_an_anterior_stemi_on_a_low_resolution_scan_is_found():
    # ecg00013: a 3.8 px/mm 3x4 scan, tombstone ST elevation in V2-V4, regular at about 88 bpm.
    # The delineation takes the ST hump 280 ms after each of V4's complexes for a second QRS;
    # the real beats after them are not premature (rules.beats.mark_dominant), so V4's
    # tombstones are measured. V2's elevation reads at about the 1.5 mm cut-point.
    a = _analysis("ecg00013.jpg")
    st = next(f for f in a.flags if f.id.value == "st_elevation")
    assert {"V3", "V4"} <= set(st.leads) <= {"V1", "V2", "V3", "V4", "V5"}
    assert a.routing.triage is Triage.ACUTE
    assert a.measurements.rhythm.hr_bpm.value == pytest.approx(88, rel=0.1)
    assert not any(f.id.value in ("irregular_rhythm", "possible_atrial_fibrillation") for f in a.flags)


def test_a_page_whose_grid_is_not_square_gives_no_times_and_says_so():
    # ecg00047, a phone photo: its grid read 3.5 px/mm along x and 4.4 along y (its beats show
    # 4.2), which gave 60 bpm for 70. Its time axis is not sure: no rate, rhythm or interval,
    # each named as not assessed, and the waveform's amplitudes still read
    a = _analysis("ecg00047.jpg")
    m = a.measurements
    assert m.rhythm.hr_bpm.value is None and "time axis is not sure" in m.rhythm.hr_bpm.note
    assert all(v.value is None for v in (m.intervals.pr_ms, m.intervals.qrs_ms, m.intervals.qt_ms))
    assert any("time axis is not sure" in n.why for n in a.routing.not_assessed)
    assert a.routing.review and a.page is not None
