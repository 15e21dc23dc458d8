"""The agreement report as text: what ``ecgws agreement`` prints without ``--json``."""

from __future__ import annotations

import math

from inference.delineation.scoring import Boundary, Scores
from workstation.panel.agreement import INTERVALS, AgreementReport, boundary_key

WORST_SHOWN = 10


def _f(x: float, spec: str = ".1f") -> str:
    return format(x, spec) if x is not None and math.isfinite(x) else "-"


def _scores_table(scores: Scores) -> list[str]:
    lines = [f"    {'boundary':<9}{'Se %':>7}{'PPV %':>7}{'F1 %':>7}{'mean ms':>9}{'SD ms':>7}"
             f"{'n':>8}"]
    for b in Boundary:
        t = scores[b]
        lines.append(f"    {boundary_key(b):<9}{_f(100 * t.sensitivity):>7}{_f(100 * t.ppv):>7}"
                     f"{_f(100 * t.f1):>7}{_f(t.mean_ms, '+.1f'):>9}{_f(t.sd_ms):>7}{t.tp:>8}")
    return lines


def format_report(report: AgreementReport) -> str:
    names = ", ".join(f"{s.name} ({s.kind.value})" for s in report.sources)
    lines = [f"sources: {names}; matching window {report.tolerance_ms:g} ms", ""]
    for pair in report.pairs:
        lines.append(f"{pair.b} against {pair.a} ({pair.records} records)")
        lines.append("  per lead:")
        lines += _scores_table(pair.per_lead)
        if pair.global_ is not None:
            lines.append("  global (earliest onset / latest offset across leads):")
            lines += _scores_table(pair.global_)
        if pair.intervals:
            lines.append("  Bland-Altman (b - a), ms: " + "; ".join(
                f"{k} {_f(v.bias, '+.1f')} [{_f(v.lower, '+.1f')}, {_f(v.upper, '+.1f')}] n={v.n}"
                for k, v in pair.intervals.items()))
        for item, kappa in pair.labels.items():
            lines.append(f"  Cohen's kappa {item}: {_f(kappa.value, '.3f')} "
                         f"[{_f(kappa.low, '.3f')}, {_f(kappa.high, '.3f')}] n={kappa.n}")
        lines.append("")
    if report.icc:
        lines.append("ICC(2,1) of the intervals: " + "; ".join(
            f"{k} {_f(report.icc[k].value, '.3f')} [{_f(report.icc[k].low, '.2f')}, "
            f"{_f(report.icc[k].high, '.2f')}] n={report.icc[k].n}" for k in INTERVALS))
    for item, ests in report.group_labels.items():
        lines.append(f"{item}: " + "; ".join(
            f"{name.replace('_', ' ')} {_f(e.value, '.3f')} [{_f(e.low, '.3f')}, "
            f"{_f(e.high, '.3f')}] n={e.n}" for name, e in ests.items()))
    worst = sorted(report.disagreement.record_scores().items(), key=lambda kv: -kv[1])
    lines.append(f"most disagreement (mean |difference| ms, unmatched = {report.tolerance_ms:g}):")
    lines += [f"  {report.record_name(record)}  {score:.1f}" for record, score in worst[:WORST_SHOWN]]
    return "\n".join(lines)
