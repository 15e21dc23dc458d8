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
    100,000 beats cost no more than their sort (:func:`batch_intervals` of one set).
    """
    row = batch_intervals(np.zeros(len(kind), dtype=np.int64), kind, onset, offset,
                          np.array([fs]))[0]
    return dict(zip(INTERVAL_NAMES, row.tolist()))


def _qtc(qt: float, rr: float) -> float:
    return qtc_ms(QtcFormula.BAZETT, qt, rr) if np.isfinite(qt) and rr > 0 else float("nan")


# -- many sets at once ---------------------------------------------------------------------------

#: :func:`cluster_by_overlap` compares a wave with the last 7 groups only.
_LOOK = 7


def batch_globals(table: WaveTable, wanted: dict[int, tuple[float, int]]) -> dict[int, SetGlobals]:
    """:func:`set_globals` of many sets in a few numpy passes (``wanted``: set id -> (sampling
    rate, min leads)). Every (set, kind) is grouped side by side: step i places the i-th wave
    of each (:func:`cluster_segments`), so the Python loop runs over waves per set, not over
    sets. Sets with more than 64 distinct leads are grouped one by one."""
    ids = [i for i in sorted(wanted) if table.bounds(i)[1] > table.bounds(i)[0]]
    empty = set(wanted) - set(ids)
    out = {i: set_globals(table, i, *wanted[i]) for i in sorted(empty)}
    if len(table.lead_names) > 64:
        return {**out, **{i: set_globals(table, i, *wanted[i]) for i in ids}}
    bounds = np.array([table.bounds(i) for i in ids], dtype=np.int64).reshape(-1, 2)
    sizes = bounds[:, 1] - bounds[:, 0]
    rank = np.repeat(np.arange(len(ids)), sizes)  # each row's set, by position in ``ids``
    rows = np.arange(len(rank)) - np.repeat(np.cumsum(sizes) - sizes, sizes) \
        + np.repeat(bounds[:, 0], sizes)
    onset, offset = table.onset[rows].astype(np.int64), table.offset[rows].astype(np.int64)
    segment = rank * len(KIND_ORDER) + table.kind[rows]
    stride = int(offset.max(initial=0)) + 2
    order = np.argsort(offset, kind="stable")  # then by (segment, onset): ties keep the offset order
    order = order[np.argsort(segment[order] * stride + onset[order], kind="stable")]
    segment, onset, offset, lead = segment[order], onset[order], offset[order], table.lead[rows][order]
    n_seg = len(ids) * len(KIND_ORDER)
    length = np.bincount(segment, minlength=n_seg)
    start = np.cumsum(length) - length
    group = cluster_segments(start, length, onset, offset, lead)
    # one row per group, (set, kind, creation) order as set_globals lays them out
    per_seg = np.zeros(n_seg, dtype=np.int64)
    np.maximum.at(per_seg, segment, group + 1)
    first = np.cumsum(per_seg) - per_seg
    gid = first[segment] + group
    n_groups = int(per_seg.sum())
    g_on = np.full(n_groups, np.iinfo(np.int64).max)
    np.minimum.at(g_on, gid, onset)
    g_off = np.full(n_groups, -1, dtype=np.int64)
    np.maximum.at(g_off, gid, offset)
    g_leads = np.bincount(gid, minlength=n_groups)
    g_seg = np.repeat(np.arange(n_seg), per_seg)
    g_set, g_kind = g_seg // len(KIND_ORDER), g_seg % len(KIND_ORDER)
    fs = np.array([wanted[i][0] for i in ids])
    min_leads = np.array([wanted[i][1] for i in ids])
    seen = g_leads >= min_leads[g_set]
    intervals = batch_intervals(g_set[seen], g_kind[seen], g_on[seen], g_off[seen], fs)
    set_first = np.searchsorted(g_set, np.arange(len(ids) + 1))
    row_rank = segment // len(KIND_ORDER)
    lo = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(lo, row_rank, onset)
    hi = np.full(len(ids), -1, dtype=np.int64)
    np.maximum.at(hi, row_rank, offset)
    for k, set_id in enumerate(ids):
        a, b = set_first[k], set_first[k + 1]
        out[set_id] = SetGlobals(g_kind[a:b], g_on[a:b], g_off[a:b], g_leads[a:b],
                                 (int(lo[k]), int(hi[k])),
                                 dict(zip(INTERVAL_NAMES, intervals[k].tolist())))
    return out


def cluster_segments(start: np.ndarray, length: np.ndarray, onset: np.ndarray,
                     offset: np.ndarray, lead: np.ndarray, min_overlap: float = 0.3) -> np.ndarray:
    """:func:`cluster_by_overlap` of many segments at once: the group of each wave within its
    segment. Segment s is the waves ``start[s]:start[s] + length[s]``, sorted by (onset,
    offset); ``lead`` < 64. Each step places the next wave of every segment that long, against
    that segment's last 7 groups (row j: the group made j + 1 groups ago)."""
    group = np.empty(len(onset), dtype=np.int64)
    order = np.argsort(-length, kind="stable")  # longest first: active segments are a prefix
    first, n = start[order], length[order]
    count = np.zeros(len(order), dtype=np.int64)
    g_on = np.zeros((_LOOK, len(order)), dtype=np.int64)
    g_off = np.full((_LOOK, len(order)), np.iinfo(np.int64).min)  # no group yet: never matches
    g_mask = np.zeros((_LOOK, len(order)), dtype=np.uint64)
    bits = np.left_shift(np.uint64(1), lead.astype(np.uint64))
    active = len(order)
    for i in range(int(n.max(initial=0))):
        while active and n[active - 1] <= i:
            active -= 1
        w = first[:active] + i
        on_w, off_w, bit = onset[w], offset[w], bits[w]
        on, off, mask = g_on[:, :active], g_off[:, :active], g_mask[:, :active]
        share = (np.minimum(off_w, off) - on_w) / np.maximum(1, np.minimum(off_w - on_w, off - on))
        ok = (off > on_w) & (share >= min_overlap) & ((mask & bit) == 0)
        score = np.where(ok, share, -1.0)
        best = score.max(axis=0)
        # ties go to the oldest group, as the scalar loop (newest to oldest, >=) leaves them
        j = _LOOK - 1 - np.argmax((score == best)[::-1], axis=0)
        found = best >= 0
        c = count[:active]
        group[w] = np.where(found, c - 1 - j, c)
        hit = np.flatnonzero(found)
        jh = j[hit]
        on[jh, hit] = np.minimum(on[jh, hit], on_w[hit])
        off[jh, hit] = np.maximum(off[jh, hit], off_w[hit])
        mask[jh, hit] |= bit[hit]
        new = np.flatnonzero(~found)
        for column in (on, off, mask):
            column[1:, new] = column[:-1, new]
        on[0, new], off[0, new], mask[0, new] = on_w[new], off_w[new], bit[new]
        c[new] += 1
    return group


def batch_intervals(set_index: np.ndarray, kind: np.ndarray, onset: np.ndarray,
                    offset: np.ndarray, fs: np.ndarray) -> np.ndarray:
    """:func:`group_intervals` of many sets' groups at once: (sets, INTERVAL_NAMES). Each
    set's positions are offset by ``set x S`` (S beyond any position), so one sorted lookup
    serves every set: a key from another set falls outside the set's range and is refused."""
    n_sets = len(fs)
    span = int(offset.max(initial=0)) + 2
    base = set_index * span
    big = np.iinfo(np.int64).max
    q = kind == KIND_ORDER.index(WaveKind.QRS)
    out = np.full((n_sets, len(INTERVAL_NAMES)), np.nan)
    if not q.any():
        return out
    order = np.argsort(base[q] + onset[q], kind="stable")
    q_set, q_on, q_off = set_index[q][order], onset[q][order], offset[q][order]
    new_set = np.r_[True, q_set[1:] != q_set[:-1]]
    last = np.r_[q_set[1:] != q_set[:-1], True]
    prev_off = np.where(new_set, -1, np.r_[-1, q_off[:-1]])
    next_on = np.where(last, span, np.r_[q_on[1:], 0])
    q_base = q_set * span
    p = kind == KIND_ORDER.index(WaveKind.P)
    by_off = np.argsort(base[p] + offset[p], kind="stable")
    p_key = (base[p] + offset[p])[by_off]
    latest = np.maximum.accumulate((base[p] + onset[p])[by_off]) if p.any() else p_key
    i = np.searchsorted(p_key, q_base + q_on, side="right") - 1
    p_on = np.where(i >= 0, latest[np.maximum(i, 0)] if len(latest) else -1, -1) - q_base
    has_p = (p_on >= 0) & (p_on > prev_off)
    t = kind == KIND_ORDER.index(WaveKind.T)
    by_on = np.argsort(base[t] + onset[t], kind="stable")
    t_key = (base[t] + onset[t])[by_on]
    earliest = np.r_[np.minimum.accumulate((base[t] + offset[t])[by_on][::-1])[::-1], big]
    t_off = earliest[np.searchsorted(t_key, q_base + q_off, side="left")]
    has_t = t_off < q_base + next_on
    ms = 1000.0 / fs[q_set]
    rr_ok = ~last
    for k, (values, keep) in enumerate((((q_on - p_on) * ms, has_p), ((q_off - q_on) * ms, None),
                                        ((t_off - q_base - q_on) * ms, has_t),
                                        ((np.r_[q_on[1:], 0] - q_on) * ms, rr_ok))):
        sel = slice(None) if keep is None else keep
        out[:, k] = _grouped_median(q_set[sel], values[sel], n_sets)
    out[:, 4] = [_qtc(qt, rr) for qt, rr in zip(out[:, 2], out[:, 3])]
    return out


def _grouped_median(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """np.median of ``values`` per group (NaN for an empty group)."""
    order = np.lexsort((values, group))
    v = values[order]
    count = np.bincount(group, minlength=n)
    first = np.cumsum(count) - count
    out = np.full(n, np.nan)
    has = count > 0
    lo = first[has] + (count[has] - 1) // 2
    hi = first[has] + count[has] // 2
    out[has] = (v[lo] + v[hi]) / 2.0
    return out


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
        out.update((set_id, SetGlobals.unpack(data)) for set_id, data in kept.items())
        made = batch_globals(table, {i: wanted[i] for i in ids if i not in kept})
        out.update(made)
        fresh = {set_id: g.pack() for set_id, g in made.items()}
        if store is not None and fresh:
            store.keep_cached(name, fresh, table.heads)
    return out
