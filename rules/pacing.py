"""Pacemaker spikes, and which beats they drive.

A pacing stimulus is recorded as a spike far narrower than any cardiac wave: a deflection of
a few milliseconds that returns to where it started. Each lead's second difference is scaled
by the lead's own steepest slopes (its 99th percentile of the first difference) so that a
spike stands out against the QRS whatever the gain; a spike must also be *narrow* (its
excursion large against the net change across it, unlike a QRS upstroke), and seen on at
least two leads at once. A beat is paced when a spike lies just before its QRS (ventricular
pacing) or its P wave (atrial pacing). The limits were chosen on the LUDB training split
(7 paced of 160 records: every paced record found, 3 others with scattered spikes that do not
precede the beats) and checked on its validation split.

Many devices remove the spike before storing the signal (GE MUSE files do): such a paced ECG
is not recognised here, and the device's statement ("Ventricular-paced rhythm") is what says
so (:mod:`rules.device`). Below ``MIN_FS`` Hz a spike is too smeared to be told from a QRS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rules.beats import Beat

MIN_FS = 250.0
#: Second difference at least this many times the lead's 99th-percentile slope.
SPIKE_SCALE = 2.5
#: Excursion over (excursion + net change) across +-2 samples: a spike returns, a QRS goes on.
NARROWNESS = 0.5
#: Leads that must show the spike together.
MIN_LEADS = 2
#: A spike paces a wave that starts within this window after it (ms before, ms after onset).
CAPTURE_MS = (80.0, 10.0)
#: Share of the beats that must be paced for a paced rhythm.
PACED_SHARE = 0.5


@dataclass(frozen=True)
class Pacing:
    """Spikes found and the beats they drive."""

    spikes: tuple[int, ...]  # samples
    ventricular: tuple[int, ...]  # beat indices with a spike before the QRS
    atrial: tuple[int, ...]  # beat indices with a spike before the P
    n_beats: int
    note: str

    @property
    def paced_beats(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.ventricular) | set(self.atrial)))

    @property
    def paced_rhythm(self) -> bool:
        """Most beats are paced (at least 3)."""
        n = len(self.paced_beats)
        return n >= 3 and n >= PACED_SHARE * max(self.n_beats, 1)


def find_spikes(signals: np.ndarray, fs: float) -> np.ndarray:
    """Samples of pacing spikes in ``signals`` (leads x samples, mV), increasing."""
    x = np.where(np.isfinite(signals), signals, 0.0).astype(float)
    if fs < MIN_FS or x.shape[1] < 8:
        return np.empty(0, dtype=np.int64)
    slope = np.percentile(np.abs(np.diff(x, axis=1)), 99, axis=1, keepdims=True) + 1e-6
    second = np.abs(x[:, 2:] - 2.0 * x[:, 1:-1] + x[:, :-2])[:, 1:-1] / slope
    mid, left, right = x[:, 2:-2], x[:, :-4], x[:, 4:]
    excursion = np.abs(mid - (left + right) / 2.0)
    narrow = excursion / (np.abs(right - left) + excursion + 1e-9)
    hits = np.flatnonzero(np.sum((second > SPIKE_SCALE) & (narrow > NARROWNESS), axis=0)
                          >= MIN_LEADS) + 2
    if len(hits) == 0:
        return hits.astype(np.int64)
    gap = max(1, int(0.02 * fs))
    return hits[np.concatenate(([True], np.diff(hits) > gap))].astype(np.int64)


def pacing(signals: np.ndarray, fs: float, beats: tuple[Beat, ...]) -> Pacing:
    """Spikes and the beats they pace (see the module docstring)."""
    if fs < MIN_FS:
        return Pacing((), (), (), len(beats), f"pacing spikes not sought below {MIN_FS:g} Hz")
    spikes = find_spikes(signals, fs)
    before, after = (int(ms * fs / 1000.0) for ms in CAPTURE_MS)

    def driven(onset: int) -> bool:
        return bool(np.any((spikes >= onset - before) & (spikes <= onset + after)))

    ventricular = tuple(b.index for b in beats if driven(b.qrs.onset.sample))
    atrial = tuple(b.index for b in beats if b.p is not None and driven(b.p.onset.sample))
    note = (f"{len(spikes)} pacing spike(s); {len(ventricular)} of {len(beats)} beats "
            f"ventricular paced, {len(atrial)} atrial paced")
    return Pacing(tuple(int(s) for s in spikes), ventricular, atrial, len(beats), note)
