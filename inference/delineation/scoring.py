"""Boundary matching and the scores the delineation literature reports. Pure numpy.

Protocol (as used on LUDB, e.g. Moskalenko et al., "Deep learning for ECG segmentation",
2019; Kalyakulina et al., IEEE Access 2020): each reference boundary is compared with the
nearest predicted boundary of the same kind within a tolerance (150 ms here), one to one,
nearest pairs first. A matched pair is a true positive and gives a signed error
(predicted minus reference); an unmatched reference is a false negative; an unmatched
prediction inside the lead's annotated span (first to last mark) is a false positive.
Outside that span there is no ground truth, so predictions there count for nothing; nor
inside it where a reference wave lacks a boundary (a QRS whose onset was not marked): an
unmatched prediction there may be exactly the boundary the annotator left out. Pass
``count_unknown=True`` to :meth:`Scores.add` to count those too (the stricter figure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Sequence

import numpy as np

from inference.delineation.labels import unknown_spans
from workstation.core.delineation import OFFSET_SYMBOL, ONSET_SYMBOL, Wave, WaveGroup, WaveKind

TOLERANCE_MS = 150.0
#: CSE tolerances for the SD of the error (ms) that expert readers agree to (CSE Working
#: Party, "Recommendations for measurement standards in quantitative electrocardiography",
#: Eur Heart J 1985;6:815-825). There is none for the T onset.
CSE_SD_MS = {"P on": 10.2, "P off": 12.7, "QRS on": 6.5, "QRS off": 11.6, "T off": 30.6}


class Boundary(Enum):
    """The six boundaries that are scored."""

    P_ON = (WaveKind.P, True)
    P_OFF = (WaveKind.P, False)
    QRS_ON = (WaveKind.QRS, True)
    QRS_OFF = (WaveKind.QRS, False)
    T_ON = (WaveKind.T, True)
    T_OFF = (WaveKind.T, False)

    @property
    def kind(self) -> WaveKind:
        return self.value[0]

    @property
    def is_onset(self) -> bool:
        return self.value[1]

    @property
    def label(self) -> str:
        return f"{self.kind.value} {'on' if self.is_onset else 'off'}"


@dataclass(frozen=True)
class LeadBoundaries:
    """Boundary positions (samples) of one lead; for a reference, its annotated span and
    the stretches inside it without ground truth (``[lo, hi)``)."""

    positions: dict[Boundary, np.ndarray]
    span: tuple[int, int] | None = None
    unknown: tuple[tuple[int, int], ...] = ()

    def __getitem__(self, boundary: Boundary) -> np.ndarray:
        return self.positions.get(boundary, np.empty(0, dtype=np.int64))


def _positions(pairs: Iterable[tuple[Boundary, int]]) -> dict[Boundary, np.ndarray]:
    lists: dict[Boundary, list[int]] = {b: [] for b in Boundary}
    for boundary, sample in pairs:
        lists[boundary].append(int(sample))
    return {b: np.array(sorted(v), dtype=np.int64) for b, v in lists.items()}


def _ends(kind: WaveKind) -> tuple[Boundary, Boundary]:
    return Boundary((kind, True)), Boundary((kind, False))


def reference_boundaries(samples: Sequence[int], symbols: Sequence[str]) -> LeadBoundaries:
    """A lead's reference boundaries from its marks, each parsed by its own peak.

    A peak's onset is the ``(`` just before it and its offset the ``)`` just after it; a
    boundary whose partner is missing still counts. Marks belonging to no peak are ignored.
    """
    order = np.argsort(np.asarray(samples), kind="stable")
    s = [int(samples[i]) for i in order]
    y = [symbols[i] for i in order]
    pairs = []
    for i, symbol in enumerate(y):
        kind = WaveKind.from_peak_symbol(symbol)
        if kind is None:
            continue
        on, off = _ends(kind)
        if i > 0 and y[i - 1] == ONSET_SYMBOL:
            pairs.append((on, s[i - 1]))
        if i + 1 < len(y) and y[i + 1] == OFFSET_SYMBOL:
            pairs.append((off, s[i + 1]))
    span = (s[0], s[-1]) if s else None
    return LeadBoundaries(_positions(pairs), span, tuple(unknown_spans(s, y)))


def wave_boundaries(waves: Iterable[Wave | WaveGroup], span: tuple[int, int] | None = None
                    ) -> LeadBoundaries:
    """Boundaries of waves (or of cross-lead groups, whose are the global ones)."""
    pairs = []
    for wave in waves:
        on, off = _ends(wave.kind)
        pairs += [(on, wave.onset), (off, wave.offset)]
    return LeadBoundaries(_positions(pairs), span)


def match(reference: np.ndarray, predicted: np.ndarray, tolerance: float
          ) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching, nearest pairs first, within ``tolerance`` samples.

    Returns the indices into ``reference`` and ``predicted`` of the matched pairs.
    """
    if len(reference) == 0 or len(predicted) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    dist = np.abs(reference[:, None].astype(np.int64) - predicted[None, :])
    ri, pi = np.nonzero(dist <= tolerance)
    order = np.argsort(dist[ri, pi], kind="stable")
    used_r, used_p, out_r, out_p = set(), set(), [], []
    for r, p in zip(ri[order].tolist(), pi[order].tolist()):
        if r not in used_r and p not in used_p:
            used_r.add(r)
            used_p.add(p)
            out_r.append(r)
            out_p.append(p)
    return np.array(out_r, dtype=np.int64), np.array(out_p, dtype=np.int64)


@dataclass
class Tally:
    """Running counts and signed errors (ms) of one boundary."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors_ms: list[float] = field(default_factory=list)

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def ppv(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    @property
    def mean_ms(self) -> float:
        return float(np.mean(self.errors_ms)) if self.errors_ms else float("nan")

    @property
    def sd_ms(self) -> float:
        return float(np.std(self.errors_ms, ddof=1)) if len(self.errors_ms) > 1 else float("nan")


@dataclass
class Scores:
    """Tallies of all six boundaries over many leads (or many records' global boundaries)."""

    tallies: dict[Boundary, Tally] = field(default_factory=lambda: {b: Tally() for b in Boundary})

    def add(self, reference: LeadBoundaries, predicted: LeadBoundaries, fs: float,
            tolerance_ms: float = TOLERANCE_MS, count_unknown: bool = False) -> None:
        """Score one lead.

        False positives are counted inside ``reference.span`` only, and outside
        ``reference.unknown`` unless ``count_unknown``.
        """
        tol = tolerance_ms * fs / 1000.0
        for boundary, tally in self.tallies.items():
            ref, pred = reference[boundary], predicted[boundary]
            ri, pi = match(ref, pred, tol)
            unmatched = np.ones(len(pred), dtype=bool)
            unmatched[pi] = False
            if reference.span is not None:
                lo, hi = reference.span
                unmatched &= (pred >= lo) & (pred <= hi)
            if not count_unknown:
                for lo, hi in reference.unknown:
                    unmatched &= (pred < lo) | (pred >= hi)
            tally.tp += len(ri)
            tally.fn += len(ref) - len(ri)
            tally.fp += int(unmatched.sum())
            tally.errors_ms += ((pred[pi] - ref[ri]) * 1000.0 / fs).tolist()

    def __getitem__(self, boundary: Boundary) -> Tally:
        return self.tallies[boundary]

    def mean_f1(self) -> float:
        return float(np.mean([t.f1 for t in self.tallies.values()]))
