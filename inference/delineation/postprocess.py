"""From per-sample class probabilities to waves with onset, peak, offset and confidences.

Pure numpy. Works on one lead on the network's 500 Hz grid; :mod:`predict` maps the result to
the record's own grid. Runs of one class become waves after two clean-ups: fragments of one
wave split by a brief dip to background are merged, and runs too short to be that wave are
dropped (the shortest waves LUDB's cardiologists marked in the training split are P 32 ms,
QRS 38 ms, T 46 ms; the thresholds sit below those).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference.delineation.labels import Label
from workstation.core.delineation import WaveKind

FS = 500.0
#: Shortest run kept as a wave (ms).
MIN_DURATION_MS = {WaveKind.P: 24.0, WaveKind.QRS: 24.0, WaveKind.T: 40.0}
#: Longest background gap inside one wave that is bridged (ms).
MERGE_GAP_MS = {WaveKind.P: 20.0, WaveKind.QRS: 12.0, WaveKind.T: 40.0}
#: Half-width of the window either side of a boundary its confidence is read from (ms).
CONF_WINDOW_MS = 10.0


@dataclass(frozen=True)
class Segments:
    """Waves of one kind on one lead, as parallel arrays (samples of the 500 Hz grid)."""

    kind: WaveKind
    onset: np.ndarray
    peak: np.ndarray
    offset: np.ndarray  # inclusive: the last sample of the wave
    onset_conf: np.ndarray
    peak_conf: np.ndarray
    offset_conf: np.ndarray

    def __len__(self) -> int:
        return len(self.onset)


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and (exclusive) stops of the runs of True in ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def background_count(labels: np.ndarray) -> np.ndarray:
    """Cumulative count of background samples (``[0]`` first): background in ``a:b`` is
    ``count[b] - count[a]``."""
    return np.cumsum(np.concatenate(([0], labels == Label.BACKGROUND)))


def merge_fragments(starts: np.ndarray, stops: np.ndarray, labels: np.ndarray,
                    max_gap: int, background: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Join consecutive runs whose gap is short and holds background only.

    ``background`` is :func:`background_count` of ``labels`` when the caller has it already.
    """
    if len(starts) < 2:
        return starts, stops
    gaps = starts[1:] - stops[:-1]
    if background is None:
        background = background_count(labels)
    all_background = (background[starts[1:]] - background[stops[:-1]]) == gaps
    join = (gaps <= max_gap) & all_background
    keep_start = np.concatenate(([True], ~join))
    keep_stop = np.concatenate((~join, [True]))
    return starts[keep_start], stops[keep_stop]


def _window_means(cum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    lo = np.clip(lo, 0, len(cum) - 1)
    hi = np.clip(hi, 0, len(cum) - 1)
    return (cum[hi] - cum[lo]) / np.maximum(hi - lo, 1)


def boundary_confidence(p: np.ndarray, starts: np.ndarray, stops: np.ndarray,
                        half: int) -> tuple[np.ndarray, np.ndarray]:
    """How sharply the class probability ``p`` steps at each onset and offset (0..1).

    An onset is certain when the wave's class is likely just after it and unlikely just
    before it; the confidence is the mean of those two probabilities over ``half`` samples
    each side (the mirror image for an offset).
    """
    return _boundary_confidence(cumulative(p), starts, stops, half)


def cumulative(p: np.ndarray) -> np.ndarray:
    """Cumulative float64 sum of ``p`` with a leading 0 (window sums by two look-ups)."""
    return np.concatenate(([0.0], np.cumsum(p, dtype=np.float64)))


def _boundary_confidence(cum: np.ndarray, starts: np.ndarray, stops: np.ndarray,
                         half: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`boundary_confidence` from the probability's :func:`cumulative` sum."""
    inside_on = _window_means(cum, starts, starts + half)
    before_on = _window_means(cum, starts - half, starts)
    inside_off = _window_means(cum, stops - half, stops)
    after_off = _window_means(cum, stops, stops + half)
    return 0.5 * (inside_on + 1 - before_on), 0.5 * (inside_off + 1 - after_off)


def peaks(clean: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The sample of largest excursion from the line joining each wave's ends.

    Measured from that local baseline, the extremum is the R (or S/QS) of a QRS and the apex
    of an upright or inverted P or T, whatever the lead's polarity or residual drift.
    Vectorised over all waves (a 24 h Holter has hundreds of thousands).
    """
    if len(starts) == 0:
        return np.empty(0, dtype=np.int64)
    lengths = stops - starts
    owner = np.repeat(np.arange(len(starts)), lengths)
    index = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    first, last = clean[starts], clean[stops - 1]
    frac = index / np.maximum(lengths - 1, 1)[owner]
    excursion = np.abs(clean[starts[owner] + index] - (first[owner] + (last - first)[owner] * frac))
    offsets = np.cumsum(lengths) - lengths
    best = np.maximum.reduceat(excursion, offsets)
    # first sample of each wave that reaches its maximum
    hits = np.flatnonzero(excursion == best[owner])
    first_hit = hits[np.searchsorted(owner[hits], np.arange(len(starts)))]
    return starts + index[first_hit]


def find_waves(probs: np.ndarray, clean: np.ndarray, valid: np.ndarray | None = None,
               fs: float = FS) -> list[dict[WaveKind, Segments]]:
    """Waves of each kind in each lead.

    Parameters
    ----------
    probs
        (leads, classes, samples) softmax output in :class:`Label` order.
    clean
        (leads, samples) baseline-free signal, for the peaks.
    valid
        (leads, samples) False where the record had no signal; waves overlapping or touching
        those samples, or the ends of the window, are dropped (their boundaries would be
        invented).

    Returns
    -------
    One dict per lead.
    """
    n_leads, _, n = probs.shape
    half = max(1, int(round(CONF_WINDOW_MS * fs / 1000)))
    # All leads are processed as one long row with a gap of `pad` unlabelled samples after
    # each lead: a dozen numpy calls instead of a dozen per lead, and nothing crosses a gap.
    pad = half + 1
    stride = n + pad
    labels = np.full((n_leads, stride), -1, dtype=np.int64)
    labels[:, :n] = most_likely(probs)
    flat_clean = np.zeros((n_leads, stride))
    flat_clean[:, :n] = clean
    bad = _gap_count(valid, n_leads, stride)
    flat_labels = labels.ravel()
    background = background_count(flat_labels)
    found = {kind: _kind_waves(kind, flat_labels, _flat_row(probs[:, Label.of(kind)], stride),
                               flat_clean.ravel(), bad, background, stride, n, half, fs)
             for kind in WaveKind}
    out: list[dict[WaveKind, Segments]] = [{} for _ in range(n_leads)]
    for kind, segs in found.items():
        cuts = np.searchsorted(segs.onset, np.arange(n_leads + 1) * stride)
        for lead in range(n_leads):
            part = slice(cuts[lead], cuts[lead + 1])
            base = lead * stride
            out[lead][kind] = Segments(kind, segs.onset[part] - base, segs.peak[part] - base,
                                       segs.offset[part] - base, segs.onset_conf[part],
                                       segs.peak_conf[part], segs.offset_conf[part])
    return out


def most_likely(probs: np.ndarray) -> np.ndarray:
    """``np.argmax(probs, axis=1)`` for finite (leads, classes, samples), the first class on ties.

    One comparison per class over contiguous rows: several times faster than ``argmax``
    along the strided class axis.
    """
    best = probs[:, 0].copy()
    label = np.zeros(best.shape, dtype=np.int64)
    for c in range(1, probs.shape[1]):
        label[probs[:, c] > best] = c
        np.maximum(best, probs[:, c], out=best)
    return label


def _flat_row(p: np.ndarray, stride: int) -> np.ndarray:
    """(leads, samples) as one row, each lead followed by zeros up to ``stride``."""
    row = np.zeros((p.shape[0], stride), dtype=np.float32)
    row[:, :p.shape[1]] = p
    return row.ravel()


def _gap_count(valid: np.ndarray | None, n_leads: int, stride: int) -> np.ndarray | None:
    """Cumulative count of invalid samples over the flat row; None when there are none."""
    if valid is None or valid.all():
        return None
    invalid = np.zeros((n_leads, stride), dtype=bool)
    invalid[:, :valid.shape[1]] = ~valid
    return np.concatenate(([0], np.cumsum(invalid.ravel())))


def _kind_waves(kind: WaveKind, labels: np.ndarray, p: np.ndarray, clean: np.ndarray,
                bad: np.ndarray | None, background: np.ndarray, stride: int, n: int, half: int,
                fs: float) -> Segments:
    """Waves of one kind over the flattened leads (positions in the flat row)."""
    starts, stops = runs(labels == Label.of(kind))
    starts, stops = merge_fragments(starts, stops, labels, int(MERGE_GAP_MS[kind] * fs / 1000),
                                    background)
    local = starts % stride
    keep = (stops - starts) >= MIN_DURATION_MS[kind] * fs / 1000
    keep &= (local > 0) & (local + (stops - starts) < n)
    # a wave must not touch a gap either: one cut by the edge of a recorded (or printed)
    # segment has an invented boundary
    if bad is not None:
        keep &= (bad[stops + 1] - bad[starts - 1]) == 0
    starts, stops = starts[keep], stops[keep]
    cum = cumulative(p)
    on_conf, off_conf = _boundary_confidence(cum, starts, stops, half)
    return Segments(kind, starts, peaks(clean, starts, stops), stops - 1,
                    on_conf, _window_means(cum, starts, stops), off_conf)
