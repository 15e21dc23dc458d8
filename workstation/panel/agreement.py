"""Agreement between the readers of a panel: boundaries, intervals and labels.

Boundaries are scored exactly as ``ecgws evaluate`` scores the model against LUDB
(:mod:`inference.delineation.scoring` and :mod:`inference.delineation.evaluate`): for a pair
(a, b), ``a`` is the reference and ``b`` the test; per lead, each of a's boundaries is matched
to b's nearest one of the same kind within the tolerance (150 ms), one to one; b's unmatched
boundaries inside a's annotated span of the lead are false positives. Globally, the earliest
onset and latest offset of each beat across the leads are compared the same way, a model's
waves counting only when seen on a quarter of the leads (:func:`min_leads_for`). A set in the
store holds complete waves only, so on a record where LUDB marks a boundary without its wave's
other marks the figures can differ from ``ecgws evaluate`` by those few boundaries.

The disagreement score of a lead (or record) is the mean absolute difference in ms over its
boundaries, an unmatched boundary counting as the whole tolerance: 0 is perfect agreement,
150 none at all. It ranks what the adjudicators should look at first.
"""

from __future__ import annotations

import itertools
from collections import Counter
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from inference.delineation.evaluate import min_leads_for
from inference.delineation.scoring import TOLERANCE_MS, Boundary, Scores, Tally
from workstation.core.annotation import LabelKind
from workstation.core.delineation import Delineation, WaveGroup, WaveKind
from workstation.panel import stats
from workstation.panel.globals import SetGlobals, group_intervals, load_globals
from workstation.panel.matching import greedy_match
from workstation.panel.sources import PanelData, Source, wanted_globals
from workstation.store.records import RecordInfo
from workstation.store.sets import KIND_ORDER, WaveTable

INTERVALS = ("PR", "QRS", "QT", "QTc")


def boundary_key(boundary: Boundary) -> str:
    """``P_on``, ``QRS_off``...: the JSON names of the six boundaries."""
    return boundary.label.replace(" ", "_")


@dataclass
class PairAgreement:
    """How well ``b`` agrees with ``a`` (the reference) on the records both annotated."""

    a: str
    b: str
    records: int
    per_lead: Scores
    global_: Scores | None = None
    intervals: dict[str, stats.BlandAltman] = field(default_factory=dict)
    labels: dict[str, stats.Estimate] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"a": self.a, "b": self.b, "records": self.records,
               "boundaries": _scores_dict(self.per_lead)}
        if self.global_ is not None:
            out["global"] = _scores_dict(self.global_)
        out["intervals"] = {k: v.to_dict() for k, v in self.intervals.items()}
        out["cohen_kappa"] = {k: v.to_dict() for k, v in self.labels.items()}
        return out


def _scores_dict(scores: Scores) -> dict:
    return {boundary_key(b): _tally_dict(scores[b]) for b in Boundary}


def _tally_dict(t: Tally) -> dict:
    errors = np.asarray(t.errors_ms)
    mad = float(np.mean(np.abs(errors))) if len(errors) else float("nan")
    return {"se": stats._num(t.sensitivity), "ppv": stats._num(t.ppv), "f1": stats._num(t.f1),
            "mean_ms": stats._num(t.mean_ms), "sd_ms": stats._num(t.sd_ms),
            "mad_ms": stats._num(mad), "n": t.tp, "tp": t.tp, "fp": t.fp, "fn": t.fn}


@dataclass
class Disagreement:
    """Accumulated disagreement (ms-weighted) per (record, lead) and per (lead, boundary)."""

    records: list[str]
    lead_names: tuple[str, ...]
    total: np.ndarray  # (records, leads): sum of |difference| ms, unmatched = tolerance
    count: np.ndarray  # (records, leads): boundaries counted
    by_wave_total: dict[str, np.ndarray] = field(default_factory=dict)  # boundary -> (leads,)
    by_wave_count: dict[str, np.ndarray] = field(default_factory=dict)

    def empty_like(self) -> Disagreement:
        return Disagreement(self.records, self.lead_names, np.zeros_like(self.total),
                            np.zeros_like(self.count))

    def add(self, other: Disagreement) -> None:
        """Add ``other``'s counts (the same records and leads) to these."""
        self.total += other.total
        self.count += other.count
        for key, total in other.by_wave_total.items():
            self.by_wave_total[key] = self.by_wave_total.get(key, 0) + total
            self.by_wave_count[key] = self.by_wave_count.get(key, 0) + other.by_wave_count[key]

    def record_scores(self) -> dict[str, float]:
        total, count = self.total.sum(axis=1), self.count.sum(axis=1)
        return {r: float(t / c) for r, t, c in zip(self.records, total, count) if c}

    def lead_scores(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for i, record in enumerate(self.records):
            row = {self.lead_names[j]: float(self.total[i, j] / self.count[i, j])
                   for j in np.flatnonzero(self.count[i])}
            if row:
                out[record] = row
        return out

    def by_wave_and_lead(self) -> dict[str, dict[str, float]]:
        """Mean disagreement (ms) per boundary kind and lead: where readers differ most."""
        return {key: {self.lead_names[j]: float(total[j] / self.by_wave_count[key][j])
                      for j in np.flatnonzero(self.by_wave_count[key])}
                for key, total in self.by_wave_total.items()}


@dataclass
class AgreementReport:
    """Everything ``ecgws agreement`` prints."""

    sources: tuple[Source, ...]
    tolerance_ms: float
    pairs: list[PairAgreement]
    icc: dict[str, stats.Estimate]
    group_labels: dict[str, dict[str, stats.Estimate]]
    disagreement: Disagreement
    record_names: dict[str, str] = field(default_factory=dict)  # record id -> file name

    def record_name(self, record_id: str) -> str:
        """The record's file name (with the start of its id when two files share a name)."""
        return self.record_names.get(record_id, record_id[:16])

    def to_dict(self) -> dict:
        return {
            "sources": [{"name": s.name, "kind": s.kind.value} for s in self.sources],
            "tolerance_ms": self.tolerance_ms,
            "pairs": [p.to_dict() for p in self.pairs],
            "icc": {k: v.to_dict() for k, v in self.icc.items()},
            "labels": {item: {k: v.to_dict() for k, v in ests.items()}
                       for item, ests in self.group_labels.items()},
            "record_names": dict(self.record_names),
            "disagreement": {"unit": "ms (unmatched boundary = tolerance)",
                             "per_record": _rounded(self.disagreement.record_scores()),
                             "per_lead": {r: _rounded(v) for r, v in
                                          self.disagreement.lead_scores().items()},
                             "by_wave_and_lead": {k: _rounded(v) for k, v in
                                                  self.disagreement.by_wave_and_lead().items()}},
        }


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in values.items()}


# -- boundaries, per lead (vectorised) ---------------------------------------------------------

class ArrayTally(Tally):
    """A :class:`Tally` whose errors are a numpy array (millions of them on a big panel)."""

    @property
    def mean_ms(self) -> float:
        return float(np.mean(self.errors_ms)) if len(self.errors_ms) else float("nan")

    @property
    def sd_ms(self) -> float:
        return float(np.std(self.errors_ms, ddof=1)) if len(self.errors_ms) > 1 else float("nan")


@dataclass(frozen=True)
class SourceRows:
    """One source's boundaries laid out for matching, computed once for all its pairs.

    For each boundary kind, ``(segment, key)`` sorted by ``key = segment * stride + sample``,
    where segment = record index x leads + lead (record indices into the report's sorted
    record list). ``span_lo``/``span_hi`` (per segment) are the first onset and last offset
    of the source's waves on that lead: its annotated span when it is the reference.
    ``prints`` fingerprints each segment's boundaries, so that two readers' identical leads
    (both kept the model's boundaries there, the common case) are matched without a search.
    """

    boundaries: dict[Boundary, tuple[np.ndarray, np.ndarray]]
    span_lo: np.ndarray
    span_hi: np.ndarray
    prints: dict[Boundary, np.ndarray] = field(default_factory=dict)  # per segment
    counts: dict[Boundary, np.ndarray] = field(default_factory=dict)  # per segment


def source_rows(data: PanelData, record_index: dict[str, int], stride: int
                ) -> dict[str, SourceRows]:
    """Every source's :class:`SourceRows`, from one pass over the wave table."""
    table, n_leads = data.waves, len(data.waves.lead_names)
    # sets by position among the ids present, not by id: ids need not be dense (a set made
    # offline on a workstation that synchronises with a server has an id above 2**30)
    ids = np.unique(np.concatenate([table.set_id.astype(np.int64), np.asarray(
        [info.id for by_record in data.sets.values() for info in by_record.values()],
        dtype=np.int64)]))
    source_of_set = np.full(len(ids), -1, dtype=np.int64)
    record_of_set = np.full(len(ids), -1, dtype=np.int64)
    for k, source in enumerate(data.sources):
        for record, info in data.sets[source.name].items():
            at = np.searchsorted(ids, info.id)
            source_of_set[at], record_of_set[at] = k, record_index[record]
    position = np.searchsorted(ids, table.set_id)
    source_of_row = source_of_set[position]
    return {source.name: _rows_of(table, np.flatnonzero(source_of_row == k),
                                  record_of_set[position], len(record_index) * n_leads, stride)
            for k, source in enumerate(data.sources)}


def _rows_of(table: WaveTable, rows: np.ndarray, record_of_row: np.ndarray, n_seg: int,
             stride: int) -> SourceRows:
    n_leads = len(table.lead_names)
    segment = record_of_row[rows] * n_leads + table.lead[rows]
    order = np.argsort(segment, kind="stable")
    rows, segment = rows[order], segment[order]
    span_lo = np.full(n_seg, np.iinfo(np.int64).max)
    span_hi = np.full(n_seg, -1)
    if len(rows):
        starts = np.flatnonzero(np.r_[True, segment[1:] != segment[:-1]])
        span_lo[segment[starts]] = np.minimum.reduceat(table.onset[rows], starts)
        span_hi[segment[starts]] = np.maximum.reduceat(table.offset[rows], starts)
    boundaries = _by_boundary(segment, table.kind[rows], table.onset[rows], table.offset[rows],
                              n_seg, stride)
    prints = {b: _fingerprints(*boundaries[b], n_seg, stride) for b in Boundary}
    counts = {b: np.bincount(boundaries[b][0], minlength=n_seg) for b in Boundary}
    return SourceRows(boundaries, span_lo, span_hi, prints, counts)


def _by_boundary(segment: np.ndarray, kind: np.ndarray, onset: np.ndarray, offset: np.ndarray,
                 n_seg: int, stride: int) -> dict[Boundary, tuple[np.ndarray, np.ndarray]]:
    """Each boundary's (segment, key = segment x stride + sample), sorted by key."""
    out = {}
    for boundary in Boundary:
        mine = kind == KIND_ORDER.index(boundary.kind)
        seg = segment[mine]
        key = seg * stride + (onset if boundary.is_onset else offset)[mine]
        by_key = np.argsort(key, kind="stable")
        out[boundary] = (seg[by_key], _narrow(key[by_key], n_seg * stride))
    return out


def _fingerprints(segment: np.ndarray, key: np.ndarray, n_seg: int, stride: int) -> np.ndarray:
    """Per segment, a 64-bit sum of a mix of its boundaries' samples (0 when empty)."""
    out = np.zeros(n_seg, dtype=np.uint64)
    if not len(segment):
        return out
    h = (key - segment * stride).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(29)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    starts = np.flatnonzero(np.r_[True, segment[1:] != segment[:-1]])
    out[segment[starts]] = np.add.reduceat(h, starts)
    return out


def _narrow(key: np.ndarray, top: int) -> np.ndarray:
    """Keys as int32 when they fit (half the memory traffic in matching), else int64."""
    return key.astype(np.int32) if top < np.iinfo(np.int32).max else key


def per_lead_agreement(a: SourceRows, b: SourceRows, common: np.ndarray, fs: np.ndarray,
                       stride: int, disagreement: Disagreement | None,
                       tolerance_ms: float = TOLERANCE_MS, n_leads: int | None = None) -> Scores:
    """Scores of ``b`` against ``a`` on the records flagged in ``common``.

    ``fs`` is each record's sampling rate and ``stride`` (as given to :func:`source_rows`)
    exceeds every record's length plus the tolerance. Segments are the records' leads
    (``n_leads`` per record, the disagreement's leads by default; 1 for global boundaries).
    Adds each boundary's disagreement to ``disagreement`` when given.
    """
    n_leads = n_leads or len(disagreement.lead_names)
    one_rate = len(fs) > 0 and bool((fs == fs[0]).all())
    rate = (lambda segments: fs[0]) if one_rate else (lambda segments: fs[segments // n_leads])
    scores = Scores({boundary: ArrayTally() for boundary in Boundary})
    common_seg = np.repeat(common, n_leads)
    for boundary in Boundary:
        sa, ref = _restricted(a.boundaries[boundary], common, n_leads)
        sb, pred = _restricted(b.boundaries[boundary], common, n_leads)
        ri, pi, n_same = _match(sa, ref, sb, pred, tolerance_ms * rate(sa) / 1000.0,
                                a.prints.get(boundary), b.prints.get(boundary))
        matched_p = np.zeros(len(pred), dtype=bool)
        matched_p[pi] = True
        free = np.flatnonzero(~matched_p)
        sample = pred[free] - sb[free] * stride
        extra = free[(sample >= a.span_lo[sb[free]]) & (sample <= a.span_hi[sb[free]])]
        moved_r, moved_p = ri[n_same:], pi[n_same:]  # the first n_same pairs are identical
        moved = (pred[moved_p] - ref[moved_r]) * 1000.0 / rate(sa[moved_r])
        tally = scores[boundary]
        tally.tp, tally.fn, tally.fp = len(ri), len(ref) - len(ri), len(extra)
        tally.errors_ms = np.concatenate([np.zeros(n_same), moved])
        if disagreement is not None:
            missed = np.ones(len(ref), dtype=bool)
            missed[ri] = False
            counted = a.counts[boundary] * common_seg + np.bincount(sb[extra], minlength=len(common_seg))
            _accumulate(disagreement, boundary_key(boundary), tolerance_ms, counted,
                        matched=(sa[moved_r], np.abs(moved)), unmatched=np.r_[sa[missed], sb[extra]])
    return scores


def _match(sa: np.ndarray, ref: np.ndarray, sb: np.ndarray, pred: np.ndarray,
           tolerance: np.ndarray | float, print_a: np.ndarray | None,
           print_b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`greedy_match`, except that segments whose boundaries are the same on both sides
    (same fingerprint, then checked sample for sample) pair up one to one, error 0, which is
    what the greedy matching gives them; only the others are searched. Returns the pairs and
    how many of them, first, are such identical pairs."""
    if print_a is None or print_b is None:
        return (*greedy_match(ref, pred, tolerance), 0)
    same = print_a == print_b
    in_a, in_b = same[sa], same[sb]
    if not in_a.any() or not np.array_equal(ref[in_a], pred[in_b]):
        return (*greedy_match(ref, pred, tolerance), 0)  # a fingerprint collision: search all
    rest_a, rest_b = np.flatnonzero(~in_a), np.flatnonzero(~in_b)
    tol = tolerance if np.ndim(tolerance) == 0 else np.asarray(tolerance)[rest_a]
    ri, pi = greedy_match(ref[rest_a], pred[rest_b], tol)
    same_a = np.flatnonzero(in_a)
    return (np.r_[same_a, rest_a[ri]], np.r_[np.flatnonzero(in_b), rest_b[pi]], len(same_a))


def _restricted(columns: tuple[np.ndarray, np.ndarray], common: np.ndarray,
                n_leads: int) -> tuple[np.ndarray, np.ndarray]:
    segment, key = columns
    if common.all():
        return segment, key
    keep = common[segment // n_leads]
    return segment[keep], key[keep]


def _accumulate(d: Disagreement, key: str, tolerance_ms: float, counted: np.ndarray, *,
                matched: tuple[np.ndarray, np.ndarray], unmatched: np.ndarray) -> None:
    """Add one boundary kind of one pair: ``counted`` boundaries per segment, matched ones
    weighing their |difference| in ms (identical ones 0: left out of ``matched``), unmatched
    ones the whole tolerance."""
    size = d.total.size
    total = np.bincount(matched[0], matched[1], minlength=size) \
        + tolerance_ms * np.bincount(unmatched, minlength=size)
    total, counted = total.reshape(d.total.shape), counted.reshape(d.count.shape)
    d.total += total
    d.count += counted
    d.by_wave_total[key] = d.by_wave_total.get(key, 0) + total.sum(axis=0)
    d.by_wave_count[key] = d.by_wave_count.get(key, 0) + counted.sum(axis=0)


# -- global boundaries and intervals (from each set's cached cross-lead groups) -----------------

def global_rows(globals_: dict[int, SetGlobals], n_records: int, stride: int,
                min_leads: np.ndarray | None = None) -> SourceRows:
    """A source's global boundaries laid out like :func:`source_rows` (one segment a record).

    ``globals_`` maps record index to the set's :class:`SetGlobals`. As a reference every
    group counts and its span is the set's first onset to last offset; as a tested model
    (``min_leads`` per record given) a group counts when seen on that many leads, as in
    ``ecgws evaluate``.
    """
    records = sorted(globals_)
    g = [globals_[r] for r in records]
    counts = np.array([len(x.kind) for x in g], dtype=np.int64)
    segment = np.repeat(np.asarray(records, dtype=np.int64), counts)
    cat = (lambda name: np.concatenate([getattr(x, name) for x in g]) if g
           else np.empty(0, dtype=np.int64))
    kind, onset, offset, leads = cat("kind"), cat("onset"), cat("offset"), cat("leads")
    if min_leads is not None:
        keep = leads >= min_leads[segment]
        segment, kind, onset, offset = segment[keep], kind[keep], onset[keep], offset[keep]
    span_lo = np.full(n_records, np.iinfo(np.int64).max)
    span_hi = np.full(n_records, -1)
    for r, x in zip(records, g):
        if x.span is not None:
            span_lo[r], span_hi[r] = x.span
    return SourceRows(_by_boundary(segment, kind, onset, offset, n_records, stride),
                      span_lo, span_hi)


def median_intervals(groups: dict[WaveKind, tuple[WaveGroup, ...]], fs: float) -> dict[str, float]:
    """Median PR, QRS, QT, RR (ms) and QTc (Bazett) of a delineation's cross-lead groups by
    kind (:meth:`Delineation.groups`); see :func:`workstation.panel.globals.group_intervals`."""
    every = [(KIND_ORDER.index(k), g.onset, g.offset) for k, gs in groups.items() for g in gs]
    kind, onset, offset = (np.array(c, dtype=np.int64).reshape(-1)
                           for c in (zip(*every) if every else ([], [], [])))
    return group_intervals(kind, onset, offset, fs)


def delineation_intervals(d: Delineation, min_leads: int = 1) -> dict[str, float]:
    """:func:`median_intervals` of a whole delineation."""
    return median_intervals({kind: d.groups(kind, min_leads=min_leads) for kind in WaveKind},
                            d.fs)


# -- labels -------------------------------------------------------------------------------------

def label_items(store_states: dict[tuple[str, str], frozenset]) -> dict:
    """Categorical items per (source, record): the rhythm, and each diagnostic statement.

    Only the (source, record)s with labels count: a set without any was not labelled (a
    reader who read only boundaries, or a model), and comparing it would read as "no
    diagnosis" and lower every kappa.
    """
    store_states = {key: labels for key, labels in store_states.items() if labels}
    codes = sorted({lb.code for labels in store_states.values() for lb in labels
                    if lb.kind is LabelKind.DIAGNOSTIC})
    items: dict[str, dict[tuple[str, str], str]] = {"rhythm": {}}
    for code in codes:
        items[f"diagnostic: {code}"] = {}
    for key, labels in store_states.items():
        rhythm = sorted(lb.code for lb in labels if lb.kind is LabelKind.RHYTHM)
        items["rhythm"][key] = "+".join(rhythm) or "(none)"
        present = {lb.code for lb in labels if lb.kind is LabelKind.DIAGNOSTIC}
        for code in codes:
            items[f"diagnostic: {code}"][key] = "yes" if code in present else "no"
    return items


def group_label_agreement(items: dict, sources: list[str], records: list[str]
                          ) -> dict[str, dict[str, stats.Estimate]]:
    """Fleiss' kappa (records every source labelled) and Krippendorff's alpha per item."""
    out = {}
    for item, values in items.items():
        categories = sorted(set(values.values()))
        code = {c: i for i, c in enumerate(categories)}
        grid = np.full((len(sources), len(records)), np.nan)
        for i, s in enumerate(sources):
            for j, r in enumerate(records):
                if (s, r) in values:
                    grid[i, j] = code[values[(s, r)]]
        complete = grid[:, ~np.isnan(grid).any(axis=0)].T.astype(int)
        out[item] = {"fleiss_kappa": stats.fleiss_kappa(complete),
                     "krippendorff_alpha": stats.krippendorff_alpha(grid)}
    return out


# -- the report ---------------------------------------------------------------------------------

def agreement(data: PanelData, labels: dict[tuple[str, str], frozenset] | None = None, *,
              tolerance_ms: float = TOLERANCE_MS, with_global: bool = True) -> AgreementReport:
    """The full report for every pair of ``data.sources`` and the group.

    ``labels`` maps (source, record) to the set's labels (see :func:`workstation.panel.sources.load_labels`);
    ``with_global`` adds global boundaries, intervals and the ICC, from each set's cross-lead
    groups (``data.globals_``, kept in the store's set cache by :func:`load_panel`; computed
    here when absent). Pairs are scored side by side on every core.
    """
    record_ids = sorted(data.records)
    names = [s.name for s in data.sources]
    n_leads = len(data.waves.lead_names)
    dis = Disagreement(record_ids, data.waves.lead_names,
                       np.zeros((len(record_ids), n_leads)), np.zeros((len(record_ids), n_leads)))
    index = {r: i for i, r in enumerate(record_ids)}
    fs = np.array([data.records[r].fs for r in record_ids])
    stride = max((data.records[r].n_samples for r in record_ids), default=0) \
        + int(tolerance_ms * fs.max(initial=0) / 1000.0) + 2
    rows = source_rows(data, index, stride)
    globals_ = _globals_by_source(data, index) if with_global else {}
    as_reference = {name: global_rows(g, len(record_ids), stride) for name, g in globals_.items()}
    as_tested = {s.name: global_rows(globals_[s.name], len(record_ids), stride,
                                     _min_leads(data, record_ids)) if s.is_model
                 else as_reference[s.name] for s in data.sources if with_global}
    items = label_items(labels or {})
    intervals = {name: _interval_grid(g, len(record_ids)) for name, g in globals_.items()}

    def one_pair(sa: Source, sb: Source) -> tuple[PairAgreement, Disagreement]:
        common = sorted(data.sets[sa.name].keys() & data.sets[sb.name].keys())
        flags = np.zeros(len(record_ids), dtype=bool)
        flags[[index[r] for r in common]] = True
        part = dis.empty_like()
        pair = PairAgreement(sa.name, sb.name, len(common),
                             per_lead_agreement(rows[sa.name], rows[sb.name], flags, fs, stride,
                                                part, tolerance_ms))
        if with_global:
            pair.global_ = per_lead_agreement(as_reference[sa.name], as_tested[sb.name], flags,
                                              fs, stride, None, tolerance_ms, n_leads=1)
            at = np.flatnonzero(flags)
            for k, name in enumerate(INTERVALS):
                pair.intervals[name] = stats.bland_altman(intervals[sa.name][at, k],
                                                          intervals[sb.name][at, k])
        for item, values in items.items():
            keyed = [r for r in common if (sa.name, r) in values and (sb.name, r) in values]
            if keyed:
                pair.labels[item] = stats.cohen_kappa([values[(sa.name, r)] for r in keyed],
                                                      [values[(sb.name, r)] for r in keyed])
        return pair, part

    ordered = []
    for sa, sb in itertools.combinations(data.sources, 2):
        if sa.is_model and not sb.is_model:  # the human is the reference
            sa, sb = sb, sa
        if data.sets[sa.name].keys() & data.sets[sb.name].keys():
            ordered.append((sa, sb))
    # numpy releases the GIL in the matching, so pairs run side by side on every core
    with ThreadPoolExecutor(max_workers=max(1, min(len(ordered), os.cpu_count() or 1))) as pool:
        done = list(pool.map(lambda ab: one_pair(*ab), ordered))
    pairs = [pair for pair, _ in done]
    for _, part in done:
        dis.add(part)
    icc = _icc(intervals, names) if with_global else {}
    groups = group_label_agreement(items, names, record_ids) if len(names) > 2 else {}
    return AgreementReport(data.sources, tolerance_ms, pairs, icc, groups, dis,
                           record_names(data.records))


def record_names(records: dict[str, RecordInfo]) -> dict[str, str]:
    """Each record's file name; where files share a name, followed by the start of the id."""
    count = Counter(info.source_name for info in records.values())
    return {r: info.source_name if count[info.source_name] == 1 else f"{info.source_name} [{r[:8]}]"
            for r, info in records.items()}


def _globals_by_source(data: PanelData, index: dict[str, int]) -> dict[str, dict[int, SetGlobals]]:
    """Each source's :class:`SetGlobals` by record index (read from the store's cache by
    :func:`load_panel`, or computed here for data assembled otherwise)."""
    kept = data.globals_ if data.globals_ is not None else load_globals(None, data.waves,
                                                                          wanted_globals(data))
    return {s.name: {index[r]: kept[info.id] for r, info in data.sets[s.name].items()}
            for s in data.sources}


def _min_leads(data: PanelData, record_ids: list[str]) -> np.ndarray:
    return np.array([min_leads_for(len(data.records[r].leads)) for r in record_ids], dtype=np.int64)


def _interval_grid(globals_: dict[int, SetGlobals], n_records: int) -> np.ndarray:
    """(records, INTERVALS) of one source, NaN where it did not annotate the record."""
    grid = np.full((n_records, len(INTERVALS)), np.nan)
    for i, g in globals_.items():
        grid[i] = [g.intervals[name] for name in INTERVALS]
    return grid


def _icc(intervals: dict[str, np.ndarray], names: list[str]) -> dict[str, stats.Estimate]:
    return {name: stats.icc(np.column_stack([intervals[s][:, k] for s in names]))
            for k, name in enumerate(INTERVALS)}
