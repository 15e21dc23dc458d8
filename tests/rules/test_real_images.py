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


def test_a_strip_of_another_lead_stored_as_ii_is_not_trusted():
    a = _analysis("ecg00011.jpg")  # its printed rhythm strip is V1
    assert not a.quality.amplitudes.trusted
    assert a.routing.triage is not Triage.ACUTE and a.routing.review and not a.routing.complete
