"""``inference.delineate`` with the shipped weights: sample record, other rates, Holter leads, gaps.

The sample (LUDB record 2) is in LUDB's training split, so these are checks that the shipped
model, the resampling and the post-processing work end to end; the held-out figures come
from ``ecgws evaluate``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from inference import delineate
from inference.delineation.data import lead_marks
from inference.delineation.predict import windows
from inference.delineation.scoring import Boundary, Scores, reference_boundaries, wave_boundaries
from resources import resource_path, sample_ecg_path
from workstation.core.conditioning import resample
from workstation.core.delineation import WaveKind
from workstation.core.record import ECGRecord, Lead, SourceInfo
from workstation.io import read_ecg

QRS = (Boundary.QRS_ON, Boundary.QRS_OFF)


@pytest.fixture(scope="module")
def sample() -> ECGRecord:
    return read_ecg(sample_ecg_path())


def _qrs_scores(record: ECGRecord, reference: ECGRecord, tolerance_ms: float) -> Scores:
    """QRS scores of ``delineate(record)`` against ``reference``'s marks, in reference samples."""
    d = delineate(record)
    ratio = reference.fs / record.fs
    scores = Scores()
    for lead in reference.lead_names:
        samples, symbols = lead_marks(reference, lead)
        waves = d.waves_in(lead)
        pred = wave_boundaries(waves)
        pred = dataclasses.replace(pred, positions={b: np.rint(v * ratio).astype(np.int64)
                                                    for b, v in pred.positions.items()})
        scores.add(reference_boundaries(samples, symbols), pred, reference.fs, tolerance_ms)
    return scores


def _resampled(record: ECGRecord, fs: float) -> ECGRecord:
    return ECGRecord.from_array(resample(record.signals, record.fs, fs), fs, record.leads,
                                record.source)


def test_shipped_weights_are_small_and_present():
    path = resource_path("models", "delineation-unet.pt")
    assert path.exists() and path.stat().st_size < 5_000_000
    assert (resource_path("models") / "MODEL_CARD.md").exists()


def test_sample_finds_every_qrs_on_every_lead_at_the_annotated_positions(sample):
    d = delineate(sample)
    assert d.model_name == "ecgws-delineation-unet" and d.fs == sample.fs
    scores = _qrs_scores(sample, sample, tolerance_ms=60.0)
    for boundary in QRS:
        t = scores[boundary]
        assert t.fn == 0 and t.fp == 0, (boundary, t.fn, t.fp)
        assert abs(t.mean_ms) < 8 and t.sd_ms < 15
    for lead in sample.lead_names:
        assert len(d.waves_in(lead, WaveKind.QRS)) >= 10  # 10 s at about 65 bpm
    for wave in d.waves:
        assert 0 <= wave.onset <= wave.peak <= wave.offset < sample.n_samples
        assert 0.0 <= wave.onset_conf <= 1.0 and 0.0 <= wave.offset_conf <= 1.0


@pytest.mark.parametrize("fs", [250.0, 1000.0])
def test_other_sampling_rates_map_back_to_the_records_grid(sample, fs):
    scores = _qrs_scores(_resampled(sample, fs), sample, tolerance_ms=60.0)
    for boundary in QRS:
        assert scores[boundary].f1 > 0.98, (fs, boundary, scores[boundary])
        assert abs(scores[boundary].mean_ms) < 10


def test_two_lead_holter_style_record_with_non_standard_names(sample):
    leads = (Lead("MLII", "MLII"), Lead("V5", "V5"))
    signals = sample.signals[[sample.lead_index("II"), sample.lead_index("V5")]]
    holter = ECGRecord.from_array(resample(signals, sample.fs, 360.0), 360.0, leads,
                                  SourceInfo(sample.source.path, "test"))
    d = delineate(holter)
    assert d.lead_names == ("MLII", "V5")
    for lead in d.lead_names:
        qrs = d.waves_in(lead, WaveKind.QRS)
        assert len(qrs) >= 10
        assert all(w.offset < holter.n_samples for w in qrs)


def test_nan_gap_gives_no_wave_inside_it_and_the_rest_is_kept(sample):
    signals = sample.signals.copy()
    signals[:, 2000:2600] = np.nan  # 1.2 s without signal on every lead
    record = ECGRecord.from_array(signals, sample.fs, sample.leads, sample.source)
    d = delineate(record)
    full = delineate(sample)
    for lead in sample.lead_names:
        assert not any(w.offset >= 2000 and w.onset < 2600 for w in d.waves_in(lead))
        far = [w.onset for w in full.waves_in(lead, WaveKind.QRS) if w.offset < 1900 or w.onset > 2700]
        found = np.array([w.onset for w in d.waves_in(lead, WaveKind.QRS)])
        # the gap changes the lead's amplitude estimate a little: allow a sample or two
        assert all(np.abs(found - onset).min() <= 3 for onset in far), lead


def test_a_printed_segment_gives_no_wave_cut_by_its_edges(sample):
    """A digitised 3x4 page prints each lead for 2.5 s only: no wave may start or end at the
    edge of the printed segment, where its boundary would be invented."""
    full = delineate(sample)
    qrs = [w for w in full.waves_in("II", WaveKind.QRS) if 1000 < w.onset < 3000]
    start = qrs[0].onset + 8  # the print starts inside a QRS and ends inside a T wave
    t_wave = next(w for w in full.waves_in("II", WaveKind.T) if w.onset > start + 1000)
    stop = (t_wave.onset + t_wave.offset) // 2
    signals = np.full_like(sample.signals, np.nan)
    signals[:, start:stop] = sample.signals[:, start:stop]
    d = delineate(ECGRecord.from_array(signals, sample.fs, sample.leads, sample.source))
    assert d.waves  # the complete waves inside the segment are kept
    assert all(start < w.onset and w.offset < stop - 1 for w in d.waves)


def test_a_wave_starting_at_the_edge_of_a_gap_is_dropped():
    """The network labels a QRS from the first sample after a gap: its onset is the gap's
    edge, not the wave's, so the wave is left out; the same wave clear of the gap is kept."""
    from inference.delineation.labels import Label
    from inference.delineation.postprocess import find_waves

    n = 1000
    probs = np.zeros((2, 4, n), dtype=np.float32)
    probs[:, Label.BACKGROUND] = 1.0
    for lead in range(2):
        probs[lead, Label.BACKGROUND, 300:350] = 0.0
        probs[lead, Label.QRS, 300:350] = 1.0
    clean = np.zeros((2, n))
    clean[:, 320] = 1.0
    valid = np.ones((2, n), dtype=bool)
    valid[0, :300] = False  # lead 0: the signal starts where the QRS label starts
    found = find_waves(probs, clean, valid)
    assert len(found[0][WaveKind.QRS].onset) == 0
    assert list(found[1][WaveKind.QRS].onset) == [300]


def test_long_records_are_cut_into_overlapping_windows_covering_every_sample():
    fs = 250.0
    n = int(3600 * fs)
    spans = windows(n, fs)
    assert len(spans) > 1
    assert spans[0][2] == 0 and spans[-1][3] == n
    for (s0, e0, c0, d0), (s1, e1, c1, d1) in zip(spans, spans[1:]):
        assert d0 == c1 and s1 < c1 and e0 > d0  # cores tile; margins overlap
    assert windows(5000, 500.0) == [(0, 5000, 0, 5000)]


def test_long_record_matches_short_record_delineation(sample):
    """A record long enough to be windowed finds the same waves as its pieces."""
    reps = 16  # 160 s > one window of 120 s plus margins
    signals = np.tile(sample.signals, reps)
    record = ECGRecord.from_array(signals, sample.fs, sample.leads, sample.source)
    assert len(windows(record.n_samples, record.fs)) == 2
    d = delineate(record)
    per_lead = len(d.waves_in("II", WaveKind.QRS))
    short = len(delineate(sample).waves_in("II", WaveKind.QRS))
    assert abs(per_lead - reps * short) <= reps  # the seams between tiles may lose a beat
