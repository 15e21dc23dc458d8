"""Per-sample training labels from a lead's WFDB marks (LUDB convention).

Every sample gets background, P, QRS or T, or :data:`IGNORE` where there is no ground truth:
before the lead's first mark and after its last (annotators leave the first and last partial
complexes unmarked, so those stretches are unknown, not background), and around marks that do
not form a complete ``( peak )`` triple (a QRS without onset, a ``()`` pair without peak).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Sequence

import numpy as np

from workstation.core.delineation import OFFSET_SYMBOL, ONSET_SYMBOL, WaveKind

#: Label of samples excluded from the loss (and from scoring).
IGNORE = -1


class Label(IntEnum):
    """Per-sample classes, in the order of the network's output channels."""

    BACKGROUND = 0
    P = 1
    QRS = 2
    T = 3

    @classmethod
    def of(cls, kind: WaveKind) -> "Label":
        return _LABEL_OF_KIND[kind]

    @property
    def kind(self) -> WaveKind:
        return _KIND_OF_LABEL[self]


_LABEL_OF_KIND = {WaveKind.P: Label.P, WaveKind.QRS: Label.QRS, WaveKind.T: Label.T}
_KIND_OF_LABEL = {label: kind for kind, label in _LABEL_OF_KIND.items()}


def label_lead(n_samples: int, samples: Sequence[int], symbols: Sequence[str]) -> np.ndarray:
    """Labels (int8, one per sample) for one lead from its marks.

    A wave covers its onset to its offset inclusive. Samples outside the annotated span, and
    between the complete waves either side of an incomplete mark, are :data:`IGNORE`.
    """
    labels = np.full(n_samples, IGNORE, dtype=np.int8)
    if len(samples) == 0:
        return labels
    order = np.argsort(np.asarray(samples), kind="stable")
    s = np.clip(np.asarray(samples, dtype=np.int64)[order], 0, n_samples - 1)
    y = [symbols[i] for i in order]
    labels[s[0]:s[-1] + 1] = Label.BACKGROUND
    waves, _ = _parse_triples(y)
    for i, kind in waves:
        labels[s[i]:s[i + 2] + 1] = Label.of(kind)
    for lo, hi in unknown_spans(s.tolist(), y):
        labels[lo:hi] = IGNORE
    return labels


def unknown_spans(samples: Sequence[int], symbols: Sequence[str]) -> list[tuple[int, int]]:
    """Stretches ``[lo, hi)`` without ground truth inside a lead's annotated span.

    Around a mark that is not part of a complete ``( peak )`` triple (a QRS whose onset was
    not marked, a ``()`` pair without peak), what lies between the complete waves either side
    is unknown: a wave is there, but not all of its boundaries are.
    """
    order = np.argsort(np.asarray(samples), kind="stable")
    s = np.asarray(samples, dtype=np.int64)[order]
    y = [symbols[i] for i in order]
    waves, orphans = _parse_triples(y)
    starts = np.array([s[i] for i, _ in waves], dtype=np.int64)
    ends = np.array([s[i + 2] for i, _ in waves], dtype=np.int64)
    spans = []
    for j in orphans:
        before = ends[ends < s[j]]
        after = starts[starts > s[j]]
        lo = int(before.max()) + 1 if before.size else int(s[0])
        hi = int(after.min()) if after.size else int(s[-1]) + 1
        spans.append((lo, hi))
    return spans


def _parse_triples(symbols: Sequence[str]) -> tuple[list[tuple[int, WaveKind]], list[int]]:
    """Indices of complete ``( peak )`` triples (with their kind) and of the marks left over."""
    waves: list[tuple[int, WaveKind]] = []
    orphans: list[int] = []
    i = 0
    while i < len(symbols):
        kind = WaveKind.from_peak_symbol(symbols[i + 1]) if i + 2 < len(symbols) else None
        if symbols[i] == ONSET_SYMBOL and kind is not None and symbols[i + 2] == OFFSET_SYMBOL:
            waves.append((i, kind))
            i += 3
        else:
            orphans.append(i)
            i += 1
    return waves, orphans
