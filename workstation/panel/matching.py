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


def _whole(tolerance: np.ndarray | float) -> np.ndarray | int:
    """The tolerance in whole samples: integer distances within ``t`` are those within its
    floor. A single value becomes a plain int, which keeps int32 positions int32."""
    tol = np.floor(np.asarray(tolerance, dtype=np.float64)).astype(np.int64)
    return int(tol) if tol.ndim == 0 else tol


def windows(reference: np.ndarray, predicted: np.ndarray, tolerance: np.ndarray | float
            ) -> tuple[np.ndarray, np.ndarray]:
    """For each reference, the predictions within ``tolerance`` are ``predicted[lo:hi]``.

    Both arrays must be sorted integers; ``tolerance`` may be one value per reference.
    """
    tol = _whole(tolerance)
    return (np.searchsorted(predicted, reference - tol, side="left"),
            np.searchsorted(predicted, reference + tol, side="right"))


def _lone_pairs(reference: np.ndarray, predicted: np.ndarray, tol: np.ndarray | int
                ) -> tuple[np.ndarray, np.ndarray]:
    """References with exactly one prediction in reach that no other reference reaches, and
    that prediction's index: found around each reference's place among the predictions (one
    sorted search), since only its neighbours on either side can be in reach."""
    n, m = len(reference), len(predicted)
    if not n or not m:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    at = np.searchsorted(predicted, reference)  # predicted[at - 1] < reference <= predicted[at]

    def within(index: np.ndarray) -> np.ndarray:
        ok = (index >= 0) & (index < m)
        return ok & (np.abs(predicted[np.clip(index, 0, m - 1)] - reference) <= tol)

    left, right = within(at - 1), within(at)
    one = left ^ right
    partner = np.where(left, at - 1, at)
    # the next prediction beyond the partner, on its side, must be out of reach
    one &= ~within(np.where(left, at - 2, at + 1))
    # and the neighbouring references must not reach the partner (farther ones cannot)
    target = predicted[np.clip(partner, 0, m - 1)]
    tol_before, tol_after = (tol, tol) if np.ndim(tol) == 0 else (tol[:-1], tol[1:])
    before = np.r_[False, np.abs(target[1:] - reference[:-1]) <= tol_before]
    after = np.r_[np.abs(target[:-1] - reference[1:]) <= tol_after, False]
    return one & ~before & ~after, partner


def candidate_pairs(reference: np.ndarray, lo: np.ndarray, hi: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Every (reference, predicted) index pair of the given windows, by reference then
    prediction (``reference`` indexes the references the windows belong to)."""
    counts = hi - lo
    r = np.repeat(reference, counts)
    p = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(len(r))
    return r, p


def greedy_match(reference: np.ndarray, predicted: np.ndarray, tolerance: np.ndarray | float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the matched pairs: what ``scoring.match`` returns, for many leads at once.

    Integer positions (samples, or keys laid end to end) are expected, so that distances are
    exact. A reference with one prediction in reach that no other reference reaches is matched
    to it at once (most boundaries of two readers of the same record). The others are matched
    in rounds: a pair is taken when it comes first, in ``match``'s visiting order, among the
    remaining pairs of its reference (nearest, then lowest prediction index) and among those
    of its prediction (nearest, then lowest reference index).
    """
    tol = _whole(tolerance)
    alone, partner = _lone_pairs(reference, predicted, tol)
    out_r, out_p = [np.flatnonzero(alone)], [partner[alone]]
    rest = np.flatnonzero(~alone)
    lo, hi = windows(reference[rest], predicted, tol if np.ndim(tol) == 0 else tol[rest])
    reach = hi > lo
    r, p = candidate_pairs(rest[reach], lo[reach], hi[reach])
    dist = np.abs(predicted[p] - reference[r]).astype(np.int64)
    by_r = dist * (len(predicted) + 1) + p  # a reference's order over its pairs
    by_p = dist * (len(reference) + 1) + r  # a prediction's order over its pairs
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
    return np.concatenate(out_r).astype(np.int64), np.concatenate(out_p).astype(np.int64)
