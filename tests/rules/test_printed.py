"""Rate and rhythm of a printed page (rules.printed), on a real record laid out as a printout
lays it out: each lead shown over its 2.5 s column only, with or without a lead II strip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rules.consistency import AmplitudeCheck
from rules.fallback import detect_qrs
from rules.intervals import rhythm
from rules.printed import page_check, printed_rhythm, stretches
from workstation.core.layout import ROWS_3X4
from workstation.core.record import ECGRecord
from workstation.io import read_ecg

LUDB_1 = Path(__file__).resolve().parents[1] / "data" / "ludb" / "1.hea"


@pytest.fixture(scope="module")
def record():
    return read_ecg(LUDB_1)  # sinus rhythm at 46 bpm


@pytest.fixture(scope="module")
def faster(record):
    """The same record played 1.6 times faster (about 73 bpm): three beats to a column."""
    n = record.n_samples
    source = np.arange(n) * 1.6
    sped = np.array([np.interp(source, np.arange(n), np.asarray(x, float), right=np.nan)
                     for x in record.signals])
    keep = int(n / 1.6) - 1
    padded = np.full_like(sped, np.nan)
    padded[:, :keep] = sped[:, :keep]
    tiled = np.where(np.isfinite(padded), padded, np.roll(sped, keep, axis=1))
    return ECGRecord.from_array(np.nan_to_num(tiled).astype(np.float32), record.fs,
                                list(record.leads), record.source)


def _printed(record, strip: str | None = "II", shift_s: float = 0.0):
    """The record as a 3x4 page shows it: (signals, spans); ``shift_s`` delays every other
    column by that much (a page whose columns are misplaced in time)."""
    n, fs = record.n_samples, record.fs
    signals = np.full((len(record.lead_names), n), np.nan)
    spans = {}
    column = n // 4
    for row in ROWS_3X4:
        for c, lead in enumerate(row):
            i = record.lead_names.index(lead)
            start, stop = c * column, (c + 1) * column
            x = np.asarray(record.signals[i], float)
            if c % 2 and shift_s:
                x = np.roll(x, int(shift_s * fs))
            signals[i, start:stop] = x[start:stop]
            spans[lead] = (start, stop)
    if strip is not None:
        i = record.lead_names.index(strip)
        signals[i] = np.asarray(record.signals[i], float)
        spans[strip] = (0, n)
    return signals, spans


def _reference_rate(record) -> float:
    beats = detect_qrs(record, record.lead_names)
    return rhythm(beats, record.fs, record.lead_names).hr_bpm.value


def test_stretches_are_the_strip_and_the_columns(record):
    _, spans = _printed(record)
    strips, columns = stretches(spans, record.n_samples, record.fs)
    assert strips == [(("II",), 0, record.n_samples)]
    assert len(columns) == 4 and all(len(leads) in (2, 3) for leads, _, _ in columns)


def test_a_page_with_a_strip_reads_its_rate_from_the_strip(record):
    signals, spans = _printed(record)
    r = printed_rhythm(signals, record.lead_names, record.fs, spans, None, 0)
    assert r.hr_bpm.value == pytest.approx(_reference_rate(record), rel=0.03)
    assert "rhythm strip" in r.hr_bpm.note
    assert r.rr_nrmssd.value < 0.1


def test_a_page_without_a_strip_pairs_beats_within_each_column_only(faster):
    signals, spans = _printed(faster, strip=None)
    r = printed_rhythm(signals, faster.lead_names, faster.fs, spans, None, 0)
    assert r.hr_bpm.value == pytest.approx(1.6 * 45.7, rel=0.05)
    assert "within a column" in r.hr_bpm.note
    # columns misplaced in time by 0.3 s change nothing: no RR interval crosses a column's edge
    shifted, _ = _printed(faster, strip=None, shift_s=0.3)
    moved = printed_rhythm(shifted, faster.lead_names, faster.fs, spans, None, 0)
    assert moved.hr_bpm.value == pytest.approx(r.hr_bpm.value, rel=0.05)


def test_a_slow_page_without_a_strip_gives_no_rate_from_too_few_intervals(record):
    # at 46 bpm a 2.5 s column holds one interval at most: too little to give a rate
    signals, spans = _printed(record, strip=None)
    r = printed_rhythm(signals, record.lead_names, record.fs, spans, None, 0)
    assert r.hr_bpm.value is None and "needed" in r.hr_bpm.note


def test_a_strip_the_columns_contradict_gives_no_rate(record):
    signals, spans = _printed(record)
    i = record.lead_names.index("II")
    # a strip traced over something else: a slow regular spike train at 30 bpm
    fake = np.zeros(record.n_samples)
    fake[np.arange(int(0.5 * record.fs), record.n_samples, int(2.0 * record.fs))] = 3.0
    signals[i] = np.convolve(fake, np.hanning(15), mode="same")
    r = printed_rhythm(signals, record.lead_names, record.fs, spans, None, 0)
    assert r.hr_bpm.value is None and "disagree" in r.hr_bpm.note


def test_an_irregular_strip_the_columns_do_not_confirm_gives_no_rate(faster):
    # the strip read with a beat counted twice and two missed (a trace of the row above read
    # into it): its intervals spread from half to twice the columns', its mean near theirs
    signals, spans = _printed(faster)
    i = faster.lead_names.index("II")
    fs, n = faster.fs, faster.n_samples
    rr = 60.0 / (1.6 * 45.7)
    beats = [0.4, 0.4 + 0.45 * rr] + [0.4 + 2.0 * rr + k * 1.3 * rr for k in range(6)]
    fake = np.zeros(n)
    fake[[int(t * fs) for t in beats if t * fs < n - 1]] = 3.0
    signals[i] = np.convolve(fake, np.hanning(15), mode="same")
    r = printed_rhythm(signals, faster.lead_names, fs, spans, None, 0)
    assert r.hr_bpm.value is None and "irregular) and the printed columns" in r.hr_bpm.note
    # the page's own strip, regular, gives its rate whatever the columns
    signals, _ = _printed(faster)
    assert printed_rhythm(signals, faster.lead_names, fs, spans, None, 0).hr_bpm.value is not None


def test_a_column_with_one_beat_gives_no_interval(record):
    signals, spans = _printed(record, strip=None)
    one = {lead: (start, start + int(0.9 * record.fs)) for lead, (start, _) in spans.items()}
    r = printed_rhythm(signals, record.lead_names, record.fs, one, None, 0)
    assert r.hr_bpm.value is None


def test_the_page_score_falls_when_its_leads_contradict_each_other(record):
    signals, spans = _printed(record)
    r = printed_rhythm(signals, record.lead_names, record.fs, spans, None, 0)
    consistent = AmplitudeCheck(0.1, False, None, True, "limb leads consistent")
    broken = AmplitudeCheck(1.2, False, None, True, "broken", False, ("I", "II", "III"))
    assert page_check(0.9, consistent, r, (), 0.3).score == pytest.approx(0.9)
    low = page_check(0.9, broken, r, ("QRS 20 ms is outside 40-250 ms",), 0.3)
    assert low.score < 0.3 and len(low.reasons) == 2


def test_a_page_whose_time_axis_is_not_sure_has_no_times():
    from rules.intervals import intervals
    from rules.printed import time_axis_unsure, untimed

    assert time_axis_unsure({"aspect_misread": 0.0}) is None
    assert time_axis_unsure({}) is None
    why = time_axis_unsure({"aspect_misread": 0.27})
    assert "27%" in why and "time axis is not sure" in why
    signals, spans = _printed(LUDB_RECORD := read_ecg(LUDB_1))
    r = printed_rhythm(signals, LUDB_RECORD.lead_names, LUDB_RECORD.fs, spans, None, 0)
    rhythm_, intervals_ = untimed(r, intervals((), LUDB_RECORD.fs, r.rr_ms), why)
    assert r.hr_bpm.value is not None and rhythm_.hr_bpm.value is None
    assert rhythm_.hr_bpm.note == why and rhythm_.p_share == r.p_share
    assert all(v.value is None for v in (intervals_.pr_ms, intervals_.qrs_ms, intervals_.qt_ms,
                                         *intervals_.qtc.values()))
