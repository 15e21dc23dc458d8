"""Synthetic ECG records for the Qt tests: known beats, spikes, a procedural 24 h Holter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from workstation.core.leads import STANDARD_LEADS
from workstation.core.record import Acquisition, ECGRecord, Lead, Patient, SourceInfo
from workstation.core.signals import ChunkedSource

#: (amplitude mV, centre s relative to R, width s) of P, Q, R, S, T.
_WAVES = ((0.15, -0.20, 0.025), (-0.10, -0.03, 0.008), (1.20, 0.0, 0.010),
          (-0.25, 0.03, 0.010), (0.30, 0.25, 0.045))


def beat_wave(t: np.ndarray, rr_s: float = 0.8) -> np.ndarray:
    """A PQRST beat every ``rr_s`` seconds (R at 0.4 s into each cycle), float32 mV."""
    phase = np.mod(t, rr_s) - 0.4
    y = np.zeros_like(t, dtype=np.float64)
    for amp, centre, width in _WAVES:
        y += amp * np.exp(-0.5 * ((phase - centre) / width) ** 2)
    return y.astype(np.float32)


def resting_record(*, fs: float = 500.0, seconds: float = 10.0, patient: Patient = Patient(),
                   path: str = "synthetic.hea") -> ECGRecord:
    """A 12-lead record of identical beats (lead k scaled by 1 + k/10)."""
    t = np.arange(int(seconds * fs)) / fs
    base = beat_wave(t)
    signals = np.stack([base * (1 + k / 10) for k in range(12)])
    leads = [Lead(name) for name in STANDARD_LEADS]
    acq = Acquisition(time=dt.datetime(2024, 3, 1, 9, 30, 0), device="Synthetic 1000")
    return ECGRecord.from_array(signals, fs, leads, SourceInfo(Path(path), "Synthetic"),
                                patient=patient, acquisition=acq)


def spike_record(spike_times_s: tuple[float, ...], *, fs: float = 500.0, seconds: float = 10.0,
                 amplitude_mv: float = 1.0) -> ECGRecord:
    """12 flat leads with one-sample spikes of ``amplitude_mv`` at the given times."""
    signals = np.zeros((12, int(seconds * fs)), dtype=np.float32)
    for t in spike_times_s:
        signals[:, int(round(t * fs))] = amplitude_mv
    leads = [Lead(name) for name in STANDARD_LEADS]
    return ECGRecord.from_array(signals, fs, leads, SourceInfo(Path("spikes.hea"), "Synthetic"))


class CountingReader:
    """A procedural Holter reader that remembers the largest window it was asked for."""

    def __init__(self, fs: float, n_leads: int) -> None:
        self.fs = fs
        self.n_leads = n_leads
        self.calls: list[tuple[int, int]] = []

    def __call__(self, start: int, stop: int) -> np.ndarray:
        self.calls.append((start, stop))
        t = np.arange(start, stop) / self.fs
        base = beat_wave(t)
        return np.stack([base * (1.0 - 0.3 * k) for k in range(self.n_leads)])

    @property
    def largest(self) -> int:
        return max((b - a for a, b in self.calls), default=0)


def holter_record(hours: float = 24.0, fs: float = 250.0) -> tuple[ECGRecord, CountingReader]:
    """A lazy two-lead (MLII, V5) Holter whose samples are computed on demand."""
    n = int(hours * 3600 * fs)
    reader = CountingReader(fs, 2)
    source = ChunkedSource(2, n, reader)
    record = ECGRecord(source, fs, (Lead("MLII"), Lead("V5")), SourceInfo(Path("holter.hea"), "Synthetic"))
    return record, reader
