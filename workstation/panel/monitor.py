"""Monitoring for a governance committee: how clinicians correct the model, and data drift.

Corrections, per model version (and per month of submission): every submitted set that
started from a model's proposal is compared with that proposal wave by wave, through the
waves' stable ids: a boundary the reader moved, a wave they deleted, one they added, a lead
they marked unreadable. Reported per boundary kind and lead, with the mean absolute shift
in ms. (Sets imported from files carry no proposal; their agreement with the model is in
``ecgws agreement``.)

Flags overruled, per model version and rule: where the record's signal is found
(``--records``), the rules run on the model's proposal and on the reader's corrected set;
a flag the proposal raised that the corrected boundaries no longer raise was overruled by
the correction, and one only the corrections raise was added. (Labels a reader gives are
in ``ecgws agreement``.) Without the signals the report says the count is unavailable.

Drift of the incoming data against the training data: sampling rates, formats and lead
counts (shares), and, for records whose signal is found, devices, quality score (mean lead
score of :func:`rules.quality.assess_quality`) and amplitude (median lead range, mV); the
model's PR, QRS, QT and QTc on incoming records against the training references'. Numeric
distributions are compared with the two-sample Kolmogorov-Smirnov test
(``scipy.stats.ks_2samp``); a distribution is flagged when p < 0.01.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from workstation.core.annotation import AnnotationState, LeadStatus, SetStatus
from workstation.core.record import ECGRecord
from workstation.panel.agreement import INTERVALS, delineation_intervals
from workstation.panel.sources import state_delineation
from workstation.store import AnnotationStore

DRIFT_P = 0.01
NUMERIC = ("quality", "amplitude_mv", *INTERVALS)


@dataclass
class Corrections:
    """Counts for one model version (and one period, or all)."""

    sets: int = 0
    proposed: Counter = field(default_factory=Counter)  # (boundary, lead) -> proposed boundaries
    moved: Counter = field(default_factory=Counter)
    shift_ms: Counter = field(default_factory=Counter)  # summed |shift| of the moved ones
    deleted: Counter = field(default_factory=Counter)  # (kind, lead) -> waves
    added: Counter = field(default_factory=Counter)
    unreadable_leads: int = 0

    def to_dict(self) -> dict:
        by: dict[str, dict[str, dict]] = {}
        for (boundary, lead), n in sorted(self.proposed.items()):
            moved = self.moved[(boundary, lead)]
            by.setdefault(boundary, {})[lead] = {
                "proposed": n, "moved": moved, "moved_share": round(moved / n, 4) if n else None,
                "mean_abs_shift_ms": round(self.shift_ms[(boundary, lead)] / moved, 2)
                if moved else None}
        return {"sets": self.sets, "unreadable_leads": self.unreadable_leads,
                "by_boundary_and_lead": by,
                "waves_deleted": _keyed(self.deleted), "waves_added": _keyed(self.added),
                "moved_share": round(sum(self.moved.values()) / max(1, sum(self.proposed.values())),
                                     4)}


def _keyed(counter: Counter) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (kind, lead), n in sorted(counter.items()):
        out.setdefault(kind, {})[lead] = n
    return out


def compare_with_proposal(proposal: AnnotationState, final: AnnotationState, c: Corrections) -> None:
    """Add what a reader changed in ``final`` relative to the ``proposal`` it started from."""
    ms = 1000.0 / proposal.fs
    c.sets += 1
    for wave_id, a in proposal.waves.items():
        w = a.wave
        mine = final.waves.get(wave_id)
        if mine is None:
            c.deleted[(w.kind.value, w.lead)] += 1
        for end, value in (("on", w.onset), ("off", w.offset)):
            key = (f"{w.kind.value}_{end}", w.lead)
            c.proposed[key] += 1
            if mine is not None:
                shift = abs((mine.wave.onset if end == "on" else mine.wave.offset) - value)
                if shift:
                    c.moved[key] += 1
                    c.shift_ms[key] += shift * ms
    for wave_id, a in final.waves.items():
        if wave_id not in proposal.waves:
            c.added[(a.wave.kind.value, a.wave.lead)] += 1
    c.unreadable_leads += sum(s is LeadStatus.UNREADABLE for s in final.lead_status.values())


@dataclass
class FlagChanges:
    """Per rule: how often the model's boundaries raised it, and what the corrections did."""

    sets: int = 0
    raised: Counter = field(default_factory=Counter)  # rule id -> raised on the proposal
    overruled: Counter = field(default_factory=Counter)  # ... and not on the corrected set
    added: Counter = field(default_factory=Counter)  # raised on the corrected set only

    def to_dict(self) -> dict:
        rules = sorted(set(self.raised) | set(self.added))
        return {"sets": self.sets,
                "overruled_share": round(sum(self.overruled.values()) / max(1, sum(self.raised.values())), 4),
                "by_rule": {r: {"raised": self.raised[r], "overruled": self.overruled[r],
                                "added": self.added[r]} for r in rules}}


def _flag_ids(record: ECGRecord, state: AnnotationState) -> set[str]:
    """The flags raised on ``record`` with ``state``'s boundaries, as "rule (severity)": a
    flag whose severity the corrections change counts as overruled at the old severity and
    added at the new one."""
    from rules.analysis import analyze_recording

    analysis = analyze_recording(record, state_delineation(state, "monitor"))
    return {f"{getattr(f.id, 'value', f.id)} ({f.severity.value})" for f in analysis.flags}


def flag_changes(store: AnnotationStore, find: Callable[[object], ECGRecord | None]
                 ) -> dict[str, FlagChanges]:
    """Per model version, how the readers' corrections changed the rules' flags."""
    out: dict[str, FlagChanges] = {}
    for info in store.find_sets():
        if info.is_proposal or info.proposal_set_id is None or info.status is SetStatus.DRAFT:
            continue
        record = find(store.record(info.record_id))
        if record is None:
            continue
        proposal_info = store.set_info(info.proposal_set_id)
        before = _flag_ids(record, store.load(proposal_info.id))
        after = _flag_ids(record, store.load(info.id))
        changes = out.setdefault(proposal_info.model or "", FlagChanges())
        changes.sets += 1
        changes.raised.update(before)
        changes.overruled.update(before - after)
        changes.added.update(after - before)
    return out


def corrections(store: AnnotationStore) -> dict[str, dict[str, Corrections]]:
    """Per model version, per month of submission (and ``all``), what readers corrected."""
    out: dict[str, dict[str, Corrections]] = {}
    proposals: dict[int, tuple[str, AnnotationState]] = {}
    for info in store.find_sets():
        if info.is_proposal or info.proposal_set_id is None or info.status is SetStatus.DRAFT:
            continue
        if info.proposal_set_id not in proposals:
            p = store.set_info(info.proposal_set_id)
            proposals[info.proposal_set_id] = (p.model or "", store.load(p.id))
        model, proposal = proposals[info.proposal_set_id]
        final = store.load(info.id)
        periods = out.setdefault(model, {})
        for period in ("all", (info.submitted_at or info.created_at)[:7]):
            compare_with_proposal(proposal, final, periods.setdefault(period, Corrections()))
    return out


# -- drift ----------------------------------------------------------------------------------------

@dataclass
class Population:
    """Descriptors of a set of records (incoming, or the training data)."""

    fs: Counter = field(default_factory=Counter)
    formats: Counter = field(default_factory=Counter)
    lead_counts: Counter = field(default_factory=Counter)
    devices: Counter = field(default_factory=Counter)
    values: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in NUMERIC})

    def add_signal(self, record: ECGRecord) -> None:
        from rules.quality import assess_quality
        from rules.ruleset import load_ruleset

        quality = assess_quality(record, load_ruleset())
        self.devices[record.acquisition.device or "(not stated)"] += 1
        self.values["quality"].append(float(np.mean([q.score for q in quality.leads])))
        ranges = [q.range_mv for q in quality.leads if q.range_mv is not None]
        if ranges:
            self.values["amplitude_mv"].append(float(np.median(ranges)))

    def add_intervals(self, intervals: dict[str, float]) -> None:
        for name in INTERVALS:
            if np.isfinite(intervals.get(name, np.nan)):
                self.values[name].append(float(intervals[name]))


def incoming(store: AnnotationStore, find: Callable[[object], ECGRecord | None] | None = None
             ) -> Population:
    """The store's records: metadata, model intervals (latest proposal), signals when found."""
    from inference.delineation.evaluate import min_leads_for

    pop = Population()
    latest = {}
    for info in store.find_sets():
        if info.is_proposal:
            latest[info.record_id] = info
    for record_id in sorted({s.record_id for s in store.find_sets()}):
        info = store.record(record_id)
        pop.fs[f"{info.fs:g}"] += 1
        pop.formats[info.format] += 1
        pop.lead_counts[str(len(info.leads))] += 1
        if record_id in latest:
            d = state_delineation(store.load(latest[record_id].id), "model")
            pop.add_intervals(delineation_intervals(d, min_leads_for(len(info.leads))))
        record = find(info) if find else None
        if record is not None:
            pop.add_signal(record)
    return pop


def training_population(records: Iterable[ECGRecord]) -> Population:
    """The training data's descriptors; intervals from its reference annotations."""
    from inference.delineation.data import lead_marks
    from workstation.core.delineation import Delineation, waves_from_marks

    pop = Population()
    for record in records:
        pop.fs[f"{record.fs:g}"] += 1
        pop.formats[record.source.format] += 1
        pop.lead_counts[str(record.n_leads)] += 1
        waves = [w for lead in record.lead_names
                 for w in waves_from_marks(lead, *lead_marks(record, lead))]
        pop.add_intervals(delineation_intervals(Delineation(record.fs, record.lead_names,
                                                           tuple(waves), "reference", "")))
        pop.add_signal(record)
    return pop


def drift(now: Population, reference: Population | None) -> dict:
    """Shares and distributions of ``now`` against ``reference`` (KS test per numeric value)."""
    from scipy.stats import ks_2samp

    out: dict = {}
    for name in ("fs", "formats", "lead_counts", "devices"):
        out[name] = {"incoming": _shares(getattr(now, name))}
        if reference is not None:
            out[name]["training"] = _shares(getattr(reference, name))
    for name in NUMERIC:
        a = np.asarray(now.values[name])
        entry = {"incoming": _summary(a)}
        if reference is not None:
            b = np.asarray(reference.values[name])
            entry["training"] = _summary(b)
            if len(a) >= 2 and len(b) >= 2:
                test = ks_2samp(a, b)
                entry["ks"] = {"statistic": round(float(test.statistic), 4),
                               "p": float(f"{test.pvalue:.3g}"), "drift": bool(test.pvalue < DRIFT_P)}
        out[name] = entry
    return out


def _shares(counter: Counter) -> dict[str, float]:
    total = sum(counter.values())
    return {k: round(v / total, 4) for k, v in counter.most_common()} if total else {}


def _summary(x: np.ndarray) -> dict:
    if not len(x):
        return {"n": 0}
    p = np.percentile(x, [5, 50, 95])
    return {"n": int(len(x)), "p5": round(float(p[0]), 3), "median": round(float(p[1]), 3),
            "p95": round(float(p[2]), 3)}


def monitor_report(store: AnnotationStore, *, records_dirs: Iterable[Path] = (),
                   training: Iterable[ECGRecord] | None = None) -> dict:
    """The whole report, as plain JSON."""
    from workstation.panel.export import SignalFinder

    finder = SignalFinder(records_dirs) if records_dirs else None
    return {"corrections": {model: {period: c.to_dict() for period, c in sorted(periods.items())}
                            for model, periods in corrections(store).items()},
            "flags_overruled": ({model: c.to_dict() for model, c in flag_changes(store, finder.find).items()}
                                if finder else "unavailable: give --records so the rules can run "
                                               "on the proposals and on the corrected sets"),
            "drift": drift(incoming(store, finder.find if finder else None),
                           training_population(training) if training is not None else None)}


def format_monitor(report: dict) -> str:
    """The report as text."""
    lines = ["Corrections of the model's proposals by the readers"]
    for model, periods in report["corrections"].items():
        for period, c in periods.items():
            lines.append(f"  {model}  {period}: {c['sets']} sets, "
                         f"{100 * c['moved_share']:.1f} % of boundaries moved, "
                         f"{c['unreadable_leads']} leads marked unreadable")
            if period != "all":
                continue
            for boundary, leads in c["by_boundary_and_lead"].items():
                cells = [f"{lead} {100 * v['moved_share']:.0f}%"
                         + (f"/{v['mean_abs_shift_ms']:.0f}ms" if v["mean_abs_shift_ms"] else "")
                         for lead, v in leads.items()]
                lines.append(f"    {boundary:<8} " + "  ".join(cells))
    if not report["corrections"]:
        lines.append("  no submitted set started from a model proposal")
    flags = report["flags_overruled"]
    if isinstance(flags, str):
        lines.append(f"Flags overruled: {flags}")
    else:
        lines.append("Flags of the model's boundaries overruled by the readers' corrections")
        for model, c in flags.items():
            lines.append(f"  {model}: {c['sets']} sets, {100 * c['overruled_share']:.1f} % of flags overruled")
            for rule, v in c["by_rule"].items():
                lines.append(f"    {rule:<24} raised {v['raised']}, overruled {v['overruled']}, "
                             f"added {v['added']}")
        if not flags:
            lines.append("  no submitted corrected set whose signal was found")
    lines.append("Incoming data vs training data")
    for name, entry in report["drift"].items():
        if name in NUMERIC:
            inc, tr = entry["incoming"], entry.get("training", {})
            ks = entry.get("ks")
            lines.append(f"  {name:<13} incoming median {inc.get('median', '-')} (n={inc['n']})"
                         + (f", training {tr.get('median', '-')} (n={tr['n']})" if tr else "")
                         + (f", KS {ks['statistic']} p={ks['p']}"
                            + ("  DRIFT" if ks["drift"] else "") if ks else ""))
        else:
            lines.append(f"  {name:<13} incoming {entry['incoming']}"
                         + (f"; training {entry['training']}" if "training" in entry else ""))
    return "\n".join(lines)
