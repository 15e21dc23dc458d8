"""The documented, stable JSON of an analysis, and its text form for the command line.

The JSON (``to_json_dict``) is what exports and tests build on; its fields are documented in
``rules/README.md`` and versioned by ``schema_version``. A value that could not be measured is
null, never a guess. Beats are numbered from 1 everywhere (JSON and text), as a reader counts
them on the strip.
"""

from __future__ import annotations

from typing import Any, Sequence

from rules.amplitudes import LeadAmplitudes
from rules.analysis import Analysis
from rules.device import Concordance, MeasurementPair
from rules.flag import Flag
from rules.qtc import FORMULA_NAMES
from rules.reasoning import DISCLAIMER, fmt, leads_text
from rules.types import Measured, QtcFormula

SCHEMA = "ecgws-analysis"
SCHEMA_VERSION = 2
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
        "triage_label": a.routing.label,
        "assessment": "complete" if a.routing.complete else "incomplete",
        "not_assessed": [{"what": g.what, "why": g.why, "could_be": g.could_be.value}
                         for g in a.routing.not_assessed],
        "triage_reasons": list(a.routing.reasons),
        "confidence": round(a.confidence.value, 2),
        "confidence_terms": {"quality": a.confidence.quality,
                             "delineation": a.confidence.delineation,
                             "margin": a.confidence.margin,
                             "completeness": a.confidence.completeness,
                             "calibrated": a.confidence.calibrated,
                             "plausibility": a.confidence.plausibility,
                             "limiting_rule": a.confidence.limiting_rule},
        "implausible": list(m.implausible),
        "paced": _pacing(m),
        "device_concordance": [concordance_dict(c) for c in a.device_concordance],
        "device_measurements": [pair_dict(p) for p in a.device_measurements],
        "quality": quality_dict(a),
        "page_quality": None if a.page is None else {
            "image": a.page.image, "score": a.page.score, "reasons": list(a.page.reasons)},
        "review": a.routing.review,
        "review_reasons": list(a.routing.review_reasons),
        "narrative": a.narrative,
        "disclaimer": DISCLAIMER,
    }


def concordance_dict(c: Concordance) -> dict[str, Any]:
    return {"statement": c.statement, "concepts": [k.value for k in c.concepts],
            "our_flags": [f.value for f in c.flags], "agreement": c.agreement.value,
            "critical": c.critical}


def pair_dict(p: MeasurementPair) -> dict[str, Any]:
    return {"name": p.name, "unit": p.unit, "ours": _round(p.ours, p.unit),
            "device": _round(p.device, p.unit), "difference": _round(p.difference, p.unit),
            "tolerance": p.tolerance, "beyond_tolerance": p.beyond, "note": p.note}


def _pacing(m) -> dict[str, Any] | None:
    if m.pacing is None:
        return None
    return {"paced_rhythm": m.pacing.paced_rhythm, "spikes": len(m.pacing.spikes),
            "ventricular_paced_beats": _numbers(m.pacing.ventricular),
            "atrial_paced_beats": _numbers(m.pacing.atrial), "note": m.pacing.note}


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
        f"{a.record}: triage {a.routing.triage.value}"
        + ("" if a.routing.complete else " (incomplete)")
        + f", confidence {a.confidence.value:.2f}, review {'yes' if a.routing.review else 'no'}",
        f"  category    {a.routing.label}",
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
    for why in m.implausible:
        lines.append(f"  implausible {why}: not reported")
    for gap in a.routing.not_assessed:
        lines.append(f"  not assessed {gap.text}")
    for c in a.device_concordance:
        lines.append(f"  device      {c.text}" + ("  [critical: raised to the device's urgency]"
                                                  if c.critical else ""))
    for p in a.device_measurements:
        lines.append(f"  vs device   {pair_text(p)}")
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
    return (a.record, a.routing.triage.value + ("" if a.routing.complete else "*"),
            f"{a.confidence.value:.2f}",
            "yes" if a.routing.review else "no", _short(r.hr_bpm.value), _short(i.pr_ms.value),
            _short(i.qrs_ms.value), _short(m.qtc.value),
            f"{len(a.quality.usable_leads)}/{len(a.quality.leads)}", flags)


def format_table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...] = SUMMARY_HEADER) -> str:
    """Rows as a plain-text table with aligned columns (the last column is left ragged)."""
    table = [header, *rows]
    widths = [max(len(row[c]) for row in table) for c in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
                     for row in table)


def supplementary_lines(a: Analysis) -> list[str]:
    """What the exports and the report state beside the flags: the assessment's gaps, the
    implausible values left out, and the device's statements and measurements against ours."""
    lines = [f"Triage: {a.routing.label}"]
    lines += [f"Not assessed: {g.text}" for g in a.routing.not_assessed
              if g.could_be.rank > a.routing.triage.rank]
    lines += [f"Implausible, not reported: {why}" for why in a.measurements.implausible]
    for c in a.device_concordance:
        lines.append(f"Device concordance: {c.text}"
                     + (" (critical: raised to the device's urgency)" if c.critical else ""))
    lines += [f"Beside the device: {pair_text(p)}" for p in a.device_measurements]
    return lines


def pair_text(p: MeasurementPair) -> str:
    """"QRS: ours 100 ms, device 75 ms, difference +25 ms (tolerance 10 ms: beyond)"."""
    if p.ours is None:
        return f"{p.name}: ours not measured, device {fmt(p.device, p.unit)}"
    d = p.difference
    sign = "+" if fmt(abs(d), p.unit) != fmt(0.0, p.unit) and d > 0 else (
        "-" if fmt(abs(d), p.unit) != fmt(0.0, p.unit) else "")
    tol = "" if p.tolerance is None else (f" (tolerance {fmt(p.tolerance, p.unit)}"
                                          + (": beyond)" if p.beyond else ")"))
    note = f"; {p.note}" if p.note else ""
    return (f"{p.name}: ours {fmt(p.ours, p.unit)}, device {fmt(p.device, p.unit)}, "
            f"difference {sign}{fmt(abs(d), p.unit)}{tol}{note}")


def _short(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
