"""Each set's cross-lead view, computed from the store's columns and kept in its set cache.

Global boundaries and intervals need the waves of a set grouped across leads, one group per
beat (:func:`workstation.core.delineation.cluster_by_overlap`). That grouping is sequential
and costs about a millisecond per set, which is minutes on a 10,000-record panel of several
readers, so each set's result is kept in the store (:meth:`AnnotationStore.keep_cached`): a
submitted set never changes, and an edited set's entry is dropped by the store itself. A
report then reads one small blob per set.

A set's entry holds every group (kind, global onset and offset, leads seen), the set's span
(first onset, last offset) and its median intervals. The intervals of a model's proposal
count only groups seen on a quarter of the leads (:func:`inference.delineation.evaluate.min_leads_for`),
as ``ecgws evaluate`` does, so the entry's name carries that threshold.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from rules.qtc import QtcFormula, qtc_ms
from workstation.core.delineation import WaveKind, cluster_by_overlap
from workstation.store import AnnotationStore
from workstation.store.sets import KIND_ORDER, WaveTable

#: The intervals kept per set, in this order (ms); QTc by Bazett, as the agreement reports it.
INTERVAL_NAMES = ("PR", "QRS", "QT", "RR", "QTc")
_FORMAT = 1
_HEAD = struct.Struct(f"<2i{len(INTERVAL_NAMES)}d")  # span, intervals


def cache_name(min_leads: int) -> str:
    return f"panel/globals/{_FORMAT}/min{min_leads}"


@dataclass(frozen=True)
class SetGlobals:
    """One set's groups (one per beat and kind), span and median intervals."""

    kind: np.ndarray  # int, indexes KIND_ORDER
    onset: np.ndarray  # global onset (earliest across the group's leads)
    offset: np.ndarray  # global offset (latest)
    leads: np.ndarray  # leads the group was seen on
    span: tuple[int, int] | None
    intervals: dict[str, float]

    def pack(self) -> bytes:
        span = self.span or (-1, -1)
        head = _HEAD.pack(*span, *(self.intervals[k] for k in INTERVAL_NAMES))
        return head + np.vstack([self.kind, self.onset, self.offset, self.leads]) \
            .astype("<i4").tobytes()

    @classmethod
    def unpack(cls, data: bytes) -> SetGlobals:
        values = _HEAD.unpack_from(data)
        columns = np.frombuffer(data, "<i4", offset=_HEAD.size).reshape(4, -1).astype(np.int64)
        span = None if values[0] < 0 else (values[0], values[1])
        return cls(*columns, span, dict(zip(INTERVAL_NAMES, values[2:])))


def set_globals(table: WaveTable, set_id: int, fs: float, min_leads: int) -> SetGlobals:
    """Group one set's waves (rows of ``table``) and measure its intervals."""
    lo, hi = table.bounds(set_id)
    lead, kind = table.lead[lo:hi], table.kind[lo:hi]
    onset, offset = table.onset[lo:hi].astype(np.int64), table.offset[lo:hi].astype(np.int64)
    columns: list[list[int]] = [[], [], [], []]
    for k in range(len(KIND_ORDER)):
        mine = np.flatnonzero(kind == k)
        mine = mine[np.lexsort((offset[mine], onset[mine]))]
        on, off = onset[mine], offset[mine]
        group = np.asarray(cluster_by_overlap(on.tolist(), off.tolist(), lead[mine].tolist()),
                           dtype=np.int64)
        n = int(group.max()) + 1 if len(group) else 0
        g_on = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(g_on, group, on)
        g_off = np.full(n, -1)
        np.maximum.at(g_off, group, off)
        columns[0] += [k] * n
        columns[1] += g_on.tolist()
        columns[2] += g_off.tolist()
        columns[3] += np.bincount(group, minlength=n).tolist()
    kind_g, on_g, off_g, leads_g = (np.array(c, dtype=np.int64) for c in columns)
    span = (int(onset.min()), int(offset.max())) if hi > lo else None
    seen = leads_g >= min_leads
    return SetGlobals(kind_g, on_g, off_g, leads_g, span,
                      group_intervals(kind_g[seen], on_g[seen], off_g[seen], fs))


def group_intervals(kind: np.ndarray, onset: np.ndarray, offset: np.ndarray,
                    fs: float) -> dict[str, float]:
    """Median PR, QRS, QT and RR (ms) over beats, and QTc (Bazett, via :mod:`rules.qtc`).

    A beat is a QRS group; its P is the last P group (latest onset) that starts after the
    previous QRS ends and ends by the QRS onset; its T the first T group (earliest offset)
    that starts after the QRS offset and ends before the next QRS. Intervals run from the
    global onsets to the global offsets. Each search is a sorted lookup, so a 24-hour Holter's
    100,000 beats cost no more than their sort.
    """
    ms = 1000.0 / fs
    big = np.iinfo(np.int64).max
    q = kind == KIND_ORDER.index(WaveKind.QRS)
    order = np.argsort(onset[q], kind="stable")
    q_on, q_off = onset[q][order], offset[q][order]
    prev_off = np.r_[-1, q_off[:-1]]
    next_on = np.r_[q_on[1:], big]
    # P: among groups ending by the QRS onset (a prefix by offset), the latest onset
    p = kind == KIND_ORDER.index(WaveKind.P)
    by_off = np.argsort(offset[p], kind="stable")
    p_off, latest_on = offset[p][by_off], np.maximum.accumulate(onset[p][by_off])
    i = np.searchsorted(p_off, q_on, side="right") - 1
    p_on = np.where(i >= 0, latest_on[np.maximum(i, 0)] if len(p_off) else -1, -1)
    has_p = p_on > prev_off
    # T: among groups starting at or after the QRS offset (a suffix by onset), the earliest offset
    t = kind == KIND_ORDER.index(WaveKind.T)
    by_on = np.argsort(onset[t], kind="stable")
    t_on = onset[t][by_on]
    earliest_off = np.r_[np.minimum.accumulate(offset[t][by_on][::-1])[::-1], big]
    t_off = earliest_off[np.searchsorted(t_on, q_off, side="left")]
    has_t = t_off < next_on
    out = {"PR": _median((q_on - p_on)[has_p] * ms), "QRS": _median((q_off - q_on) * ms),
           "QT": _median((t_off - q_on)[has_t] * ms), "RR": _median(np.diff(q_on) * ms)}
    out["QTc"] = (qtc_ms(QtcFormula.BAZETT, out["QT"], out["RR"])
                  if np.isfinite(out["QT"]) and np.isfinite(out["RR"]) else float("nan"))
    return out


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if len(values) else float("nan")


def load_globals(store: AnnotationStore | None, table: WaveTable,
                 wanted: dict[int, tuple[float, int]]) -> dict[int, SetGlobals]:
    """``wanted``: set id -> (sampling rate, min leads). Entries kept in the store are read;
    the others are computed and kept (when ``store`` is given and can be written)."""
    out: dict[int, SetGlobals] = {}
    by_name: dict[str, list[int]] = {}
    for set_id, (_, min_leads) in wanted.items():
        by_name.setdefault(cache_name(min_leads), []).append(set_id)
    for name, ids in by_name.items():
        kept = store.cached(name, ids) if store is not None else {}
        fresh = {}
        for set_id in ids:
            if set_id in kept:
                out[set_id] = SetGlobals.unpack(kept[set_id])
            else:
                fs, min_leads = wanted[set_id]
                out[set_id] = set_globals(table, set_id, fs, min_leads)
                fresh[set_id] = out[set_id].pack()
        if store is not None and fresh:
            store.keep_cached(name, fresh, table.heads)
    return out
