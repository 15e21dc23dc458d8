"""The documented, stable JSON of an analysis, and its text form for the command line.

The JSON (``to_json_dict``) is what exports and tests build on; its fields are documented in
``rules/README.md`` and versioned by ``schema_version``. A value that could not be measured is
null, never a guess. Beats are numbered from 1 everywhere (JSON and text), as a reader counts
them on the strip.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from rules.amplitudes import LeadAmplitudes
from rules.analysis import Analysis
from rules.flag import Flag
from rules.qtc import FORMULA_NAMES
from rules.reasoning import DISCLAIMER, fmt, leads_text
from rules.types import Measured, QtcFormula

SCHEMA = "ecgws-analysis"
SCHEMA_VERSION = 1
_DIGITS = {"ms": 1, "bpm": 1, "deg": 1, "mV": 3, "mm": 2, "": 3, "leads": 0}
LEAD_FIELDS = ("q_mv", "r_mv", "s_mv", "qrs_pp_mv", "st_j_mv", "st_j60_mv", "st_j80_mv", "t_mv")


def to_json_dict(a: Analysis) -> dict[str, Any]:
    """The analysis as a JSON-ready dict (see rules/README.md for every field)."""
    m = a.measurements
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "record": a.record,
        "rule_set": {"name": a.ruleset.name, "version": a.ruleset.version,
                     "site": a.ruleset.site or None, "label": a.ruleset.label},
        "model": a.model,
        "analysed_s": [round(a.analysed_s[0], 3), round(a.analysed_s[1], 3)],
        "duration_s": round(a.duration_s, 3),
        "context": {"sex": a.sex, "age_years": a.age},
        "measurements": {name: _round(v.value, v.unit) for name, v in _measured(a).items()}
        | {"qtc_formula": m.qtc_formula.value},
        "measurement_sources": {name: {"unit": v.unit, "leads": list(v.leads),
                                       "beats": _numbers(v.beats), "note": v.note}
                                for name, v in _measured(a).items()},
        "st_point": m.st_point.value,
        "leads": {q.lead: _lead(m.lead(q.lead)) for q in a.quality.leads},
        "beats": [_beat(b) for b in m.beats],
        "flags": [flag_dict(f) for f in a.flags],
        "triage": a.routing.triage.value,
        "triage_reasons": list(a.routing.reasons),
        "confidence": round(a.confidence.value, 3),
        "confidence_terms": {"quality": a.confidence.quality,
                             "delineation": a.confidence.delineation,
                             "margin": a.confidence.margin,
                             "completeness": a.confidence.completeness,
                             "calibrated": a.confidence.calibrated,
                             "limiting_rule": a.confidence.limiting_rule},
        "quality": quality_dict(a),
        "review": a.routing.review,
        "review_reasons": list(a.routing.review_reasons),
        "narrative": a.narrative,
        "disclaimer": DISCLAIMER,
    }


def flag_dict(f: Flag) -> dict[str, Any]:
    return {"id": f.id.value, "severity": f.severity.value, "leads": list(f.leads),
            "beats": _numbers(f.beats), "value": _round(f.value, f.unit), "unit": f.unit,
            "threshold": f.threshold, "measurement": f.measurement, "rule_id": f.rule.id.value,
            "rule_version": f.rule.version, "citation": f.rule.citation,
            "triage": f.triage.value, "reason": f.reason}


def quality_dict(a: Analysis) -> dict[str, Any]:
    return {
        "score": round(a.quality.score, 3),
        "poor_leads": list(a.quality.poor_leads),
        "leads": {q.lead: {"grade": q.grade.value, "score": q.score,
                           "problems": [p.value for p in q.problems],
                           "noise_mv": _round(q.noise_mv, "mV"),
                           "wander_mv": _round(q.wander_mv, "mV"),
                           "range_mv": _round(q.range_mv, "mV"),
                           "gap_share": round(q.gap_share, 4)}
                  for q in a.quality.leads},
    }


def _measured(a: Analysis) -> dict[str, Measured]:
    m, r, i = a.measurements, a.measurements.rhythm, a.measurements.intervals
    values = {"hr_bpm": r.hr_bpm, "hr_min_bpm": r.hr_min_bpm, "hr_max_bpm": r.hr_max_bpm,
              "rr_ms": r.rr_ms, "rr_nrmssd": r.rr_nrmssd, "p_share": r.p_share,
              "p_ms": i.p_ms, "pr_ms": i.pr_ms, "qrs_ms": i.qrs_ms, "qt_ms": i.qt_ms,
              "qtc_ms": m.qtc}
    values |= {f"qtc_{f.value}_ms": i.qtc[f] for f in QtcFormula}
    values |= {"p_axis_deg": m.p_axis, "qrs_axis_deg": m.qrs_axis, "t_axis_deg": m.t_axis}
    return values


def _lead(amp: LeadAmplitudes | None) -> dict[str, Any]:
    if amp is None:
        return {name: None for name in LEAD_FIELDS} | {"beats": []}
    return {name: _round(getattr(amp, name), "mV") for name in LEAD_FIELDS} | {
        "beats": _numbers(amp.beats)}


def _beat(b) -> dict[str, Any]:
    return {"number": b.index + 1, "dominant": b.dominant,
            "qrs_onset": b.qrs.onset.sample, "qrs_offset": b.qrs.offset.sample,
            "p_onset": b.p.onset.sample if b.p else None,
            "p_offset": b.p.offset.sample if b.p else None,
            "t_offset": b.t.offset.sample if b.t else None}


def _numbers(beats: Sequence[int]) -> list[int]:
    return [b + 1 for b in beats]


def _round(value: float | None, unit: str) -> float | None:
    return None if value is None else round(float(value), _DIGITS.get(unit, 3))


# -- text --------------------------------------------------------------------------------------

def format_text(a: Analysis) -> str:
    """A block of lines for one record: routing, quality, measurements, flags, narrative."""
    m, r, i = a.measurements, a.measurements.rhythm, a.measurements.intervals
    q = a.quality
    lines = [
        f"{a.record}: triage {a.routing.triage.value}, confidence {_floor2(a.confidence.value)}, "
        f"review {'yes' if a.routing.review else 'no'}",
        f"  rule set    {a.ruleset.label}; model {a.model or 'none (rate from a QRS detector)'}",
        f"  quality     {len(q.usable_leads)}/{len(q.leads)} leads usable"
        + (f"; poor: {leads_text(q.poor_leads)}" if q.poor_leads else ""),
        f"  rhythm      rate {fmt(r.hr_bpm.value, 'bpm')} (min {fmt(r.hr_min_bpm.value, 'bpm')}, "
        f"max {fmt(r.hr_max_bpm.value, 'bpm')}), RR irregularity {fmt(r.rr_nrmssd.value, '')}, "
        f"P share {fmt(r.p_share.value, '')}",
        f"  intervals   P {fmt(i.p_ms.value, 'ms')}, PR {fmt(i.pr_ms.value, 'ms')}, "
        f"QRS {fmt(i.qrs_ms.value, 'ms')}, QT {fmt(i.qt_ms.value, 'ms')}, "
        f"QTc {fmt(m.qtc.value, 'ms')} ({FORMULA_NAMES[m.qtc_formula]})",
        f"  axes        P {fmt(m.p_axis.value, 'deg')}, QRS {fmt(m.qrs_axis.value, 'deg')}, "
        f"T {fmt(m.t_axis.value, 'deg')}",
    ]
    for flag in a.flags:
        lines.append(f"  flag        [{flag.severity.value}] {flag.id.value}: {flag.reason}")
    if not a.flags:
        lines.append("  flags       none")
    for reason in a.routing.review_reasons:
        lines.append(f"  review      {reason}")
    lines.append(f"  narrative   {a.narrative}")
    return "\n".join(lines)


SUMMARY_HEADER = ("record", "triage", "conf", "review", "HR", "PR", "QRS", "QTc", "quality",
                  "flags")


def summary_row(a: Analysis) -> tuple[str, ...]:
    """One row of the folder summary table."""
    m, r, i = a.measurements, a.measurements.rhythm, a.measurements.intervals
    flags = ", ".join(f.id.value + ("?" if f.severity.value == "borderline" else "")
                      for f in a.flags) or "-"
    return (a.record, a.routing.triage.value, _floor2(a.confidence.value),
            "yes" if a.routing.review else "no", _short(r.hr_bpm.value), _short(i.pr_ms.value),
            _short(i.qrs_ms.value), _short(m.qtc.value),
            f"{len(a.quality.usable_leads)}/{len(a.quality.leads)}", flags)


def format_table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...] = SUMMARY_HEADER) -> str:
    """Rows as a plain-text table with aligned columns (the last column is left ragged)."""
    table = [header, *rows]
    widths = [max(len(row[c]) for row in table) for c in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
                     for row in table)


def _floor2(value: float) -> str:
    """Two decimals rounded down, so that a value just below the review threshold never
    reads as equal to it."""
    return f"{math.floor(value * 100.0 + 1e-9) / 100.0:.2f}"


def _short(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
