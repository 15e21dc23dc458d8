"""Boundary matching of ``ecgws evaluate``, vectorised over thousands of leads at once.

:func:`inference.delineation.scoring.match` pairs one lead's reference and predicted
boundaries one to one, nearest pairs first, within a tolerance. Run lead by lead in Python
that is ~10 us per call: 10,000 records x 12 leads x 6 boundaries x 10 annotator pairs would
take minutes. Here the boundaries of every lead are laid end to end on one axis (each lead
offset by a stride wider than any record plus the tolerance, so no pair crosses leads) and
matched in a few numpy passes.

The result is the same matching: greedy matching in a strict order (distance, then reference
index, then predicted index, which is the order ``match`` visits pairs in) equals repeatedly
taking every pair that comes first for both its ends ("locally dominant" pairs; Preis, STACS
1999), and those rounds are vectorised without sorting the pairs: a reference's first pair is
a minimum over its contiguous run of candidates, a prediction's a scattered minimum.
``tests/panel`` checks it against ``match`` on random leads.
"""

from __future__ import annotations

import numpy as np


def candidate_pairs(reference: np.ndarray, predicted: np.ndarray, tolerance: np.ndarray | float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Every (reference, predicted) index pair within ``tolerance``, by reference then
    prediction. Both arrays must be sorted integers. ``tolerance`` may be one value per
    reference; integer distances within it are those within its floor."""
    tol = np.broadcast_to(np.floor(np.asarray(tolerance, dtype=np.float64)).astype(np.int64),
                          reference.shape)
    lo = np.searchsorted(predicted, reference - tol, side="left")
    hi = np.searchsorted(predicted, reference + tol, side="right")
    counts = hi - lo
    r = np.repeat(np.arange(len(reference)), counts)
    p = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(len(r))
    return r, p


def greedy_match(reference: np.ndarray, predicted: np.ndarray, tolerance: np.ndarray | float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the matched pairs: what ``scoring.match`` returns, for many leads at once.

    Integer positions (samples, or keys laid end to end) are expected, so that distances are
    exact. In each round a pair is taken when it comes first, in ``match``'s visiting order,
    among the remaining pairs of its reference (nearest, then lowest prediction index) and
    among those of its prediction (nearest, then lowest reference index).
    """
    r, p = candidate_pairs(reference, predicted, tolerance)
    dist = np.abs(predicted[p] - reference[r]).astype(np.int64)
    by_r = dist * (len(predicted) + 1) + p  # a reference's order over its pairs
    by_p = dist * (len(reference) + 1) + r  # a prediction's order over its pairs
    out_r, out_p = [], []
    while len(r):
        starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])  # r stays sorted
        first_r = by_r == np.repeat(np.minimum.reduceat(by_r, starts),
                                    np.diff(np.r_[starts, len(r)]))
        best_p = np.full(len(predicted), np.iinfo(np.int64).max)
        np.minimum.at(best_p, p, by_p)
        take = first_r & (by_p == best_p[p])
        out_r.append(r[take])
        out_p.append(p[take])
        used_r = np.zeros(len(reference), dtype=bool)
        used_r[r[take]] = True
        used_p = np.zeros(len(predicted), dtype=bool)
        used_p[p[take]] = True
        keep = ~used_r[r] & ~used_p[p]
        r, p, by_r, by_p = r[keep], p[keep], by_r[keep], by_p[keep]
    if not out_r:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(out_r).astype(np.int64), np.concatenate(out_p).astype(np.int64)
