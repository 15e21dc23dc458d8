"""The shared real paper-ECG images analysed end to end against what they show, read by eye
(``tests/data/real_images/truth.csv``; ``benchmarks/real_images.py`` prints the table)."""

from __future__ import annotations

import pytest

from tests.conftest import shared_path
from tests.scan.real_images_truth import judge, load_truth

#: Measured on the 35 images (benchmarks/real_images.py): floors, so that a change that reads
#: fewer of them fails here.
READABLE_AT_LEAST = 25
RIGHT_AT_LEAST = 19


def test_the_table_is_complete_and_well_formed():
    truth = load_truth()
    assert len(truth) == 35
    for page in truth.values():
        assert page.rhythm in ("regular", "irregular", "ectopic"), page.file
        assert 20 <= page.rate_bpm <= 300, page.file
        assert page.leads >= 2 and page.layout, page.file


@pytest.fixture(scope="module")
def verdicts():
    from inference import delineate
    from rules.analysis import analysis_window, analyze
    from rules.report import to_json_dict
    from rules.ruleset import load_ruleset
    from workstation.io import ECGReadError, read_ecg

    folder = shared_path("images", "ecg-image-kit_real_samples")
    ruleset = load_ruleset()
    out = []
    for name, page in load_truth().items():
        try:
            record = analysis_window(read_ecg(folder / name), ruleset)
        except ECGReadError:
            continue
        result = analyze(record, delineate(record), name=name, ruleset=ruleset)
        out.append(judge(to_json_dict(result), page))
    return out


def test_every_reported_rate_is_within_ten_percent_of_the_page(verdicts):
    wrong = [(v.file, v.hr_bpm, v.truth.rate_bpm) for v in verdicts
             if v.readable and v.hr_bpm is not None and not v.rate_right]
    assert not wrong


def test_nothing_implausible_is_reported(verdicts):
    assert not [(v.file, v.implausible) for v in verdicts if v.implausible]


def test_most_images_are_read_with_the_right_rate_and_rhythm(verdicts):
    readable = [v for v in verdicts if v.readable]
    right = [v for v in readable if v.rate_right and v.rhythm_right]
    assert len(readable) >= READABLE_AT_LEAST
    assert len(right) >= RIGHT_AT_LEAST


@pytest.mark.parametrize("name", ["ecg00002.png", "ecg00004.png", "ecg00011.jpg", "ecg00053.png"])
def test_no_strip_is_stored_under_a_lead_it_does_not_show(name):
    # pages whose strips are not (only) lead II, names in serif fonts among them: every strip
    # kept is stored under a name printed on a strip, and one whose name was not read says so
    from workstation.scan.digitize import digitize
    from workstation.scan.ingest import load_pages

    page = load_truth()[name]
    result = digitize(load_pages(shared_path("images", "ecg-image-kit_real_samples") / name)[0])
    from workstation.scan.digitize import UNNAMED

    stored = {t.lead for t in result.traces if t.stop - t.start > 4500}
    assert {lead for lead in stored if not lead.startswith(UNNAMED)} <= set(page.strips)
    if any(lead.startswith(UNNAMED) for lead in stored):
        assert any("name not read" in reason for reason in result.reasons)
