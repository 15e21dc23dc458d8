"""``analyze(record, delineation) -> Analysis``: the whole reasoning step for one ECG.

ingest (quality) -> measure -> rule flags -> confidence -> triage and review -> narrative.
Pure: no I/O beyond reading the shipped rule and calibration files when none are given, no
Qt, no torch. The rules always run: without a delineation (the model could not run) the rate
and rhythm rules still run on a plain QRS detector, and everything else is None.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rules.beats import Beat
from rules.calibration import Calibration, load_calibration
from rules.confidence import Confidence, record_confidence
from rules.coverage import not_assessed, plain
from rules.device import (PRINTED_PENALTY, Concordance, MeasurementPair, compare_measurements,
                          concordance, critical_urgency, printed_disagreements)
from rules.flag import Check, Flag
from rules.global_rules import GLOBAL_RULES, RuleContext
from rules.lead_rules import LEAD_RULES
from rules.measure import Measurements, measure
from rules.printed import PageCheck, page_check
from rules.quality import DIGITISED_POOR_BELOW, RecordQuality, assess_quality
from rules.reasoning import DISCLAIMER, fmt, narrative
from rules.ruleset import RuleSet, load_ruleset
from rules.triage import Routing, route
from rules.types import FlagId, Severity, Triage
from workstation.core.delineation import Delineation
from workstation.core.record import Digitisation, ECGRecord


@dataclass(frozen=True)
class Analysis:
    """Everything the rules concluded about one record."""

    record: str
    ruleset: RuleSet
    model: str | None  # "name version" of the delineation, None without one
    analysed_s: tuple[float, float]
    duration_s: float
    sex: str | None
    age: float | None
    quality: RecordQuality
    measurements: Measurements
    flags: tuple[Flag, ...]
    checks: tuple[Check, ...]
    confidence: Confidence
    routing: Routing
    narrative: str
    #: the device's statements against our flags, and its measurements beside ours
    device_concordance: tuple[Concordance, ...] = ()
    device_measurements: tuple[MeasurementPair, ...] = ()
    #: a page read off an image: its score once its analysis is known (None otherwise)
    page: PageCheck | None = None


def analyze(record: ECGRecord, delineation: Delineation | None, *, name: str = "",
            ruleset: RuleSet | None = None, calibration: Calibration | None = None,
            duration_s: float | None = None) -> Analysis:
    """Measure, flag, score and route ``record`` (see the module docstring).

    Parameters
    ----------
    record
        The ECG (only its first ``max_analysis_s`` seconds: see :func:`analysis_window`).
    delineation
        Its delineation (model or reference); None when the model could not run.
    name
        The record's name for the result (default: its file's stem).
    ruleset, calibration
        Default: the shipped rule file (with any ``$ECGWS_RULES`` override) and calibration.
    duration_s
        Length of the full recording when ``record`` is a window of it.
    """
    ruleset = ruleset or load_ruleset()
    calibration = calibration if calibration is not None else load_calibration()
    quality = assess_quality(record, ruleset)
    m = measure(record, delineation, quality, ruleset)
    ctx = RuleContext(m, quality, ruleset, record.patient.sex, record.patient.age_years)
    flags, checks = [], []
    for rule in GLOBAL_RULES + LEAD_RULES:
        flag, check = rule(ctx)
        flags += [flag] if flag is not None else []
        checks += [check] if check is not None else []
    confidence = record_confidence(m, quality, delineation, checks, calibration,
                                   ruleset.margin_bands, _urgent_rules(ruleset))
    device = concordance(record.device_report.statements, flags)
    routing = route(flags, confidence, ruleset, quality, not_assessed(ctx, delineation is not None),
                    critical_urgency(device))
    pairs = compare_measurements(m, record.device_report, ruleset.device_tolerances)
    page = None
    if record.digitisation is not None:
        page = _checked_page(record, quality, m, pairs, ruleset)
        routing = _route_digitised(routing, record.digitisation, page)
    text = narrative(flags, routing, confidence.value, _summary(m), quality.poor_leads,
                     m.implausible)
    if record.digitisation is not None and page is not None:
        note = _digitised_note(record.digitisation, page)
        text = text.replace(f"{DISCLAIMER}.", f"{DISCLAIMER}. {note}", 1)
    model = None if delineation is None else f"{delineation.model_name} {delineation.model_version}".strip()
    return Analysis(name or record.source.path.stem, ruleset, model,
                    (0.0, record.duration_s), duration_s or record.duration_s,
                    record.patient.sex, record.patient.age_years, quality, m,
                    tuple(sorted(flags, key=_flag_order)), tuple(checks), confidence, routing,
                    text, device, pairs, page)


def _urgent_rules(ruleset: RuleSet) -> frozenset[FlagId]:
    """Rules whose side of the threshold can decide a subacute or acute category."""
    return frozenset(flag for flag, rule in ruleset.rules.items()
                     if max(rule.triage.rank, rule.alert_triage.rank if rule.alert_triage
                            else 0) >= Triage.SUBACUTE.rank)


def _route_digitised(routing: Routing, digitisation: Digitisation, page: PageCheck) -> Routing:
    """A signal read off an image of low quality - as the image looks, or once its leads'
    agreement and values are checked (:func:`rules.printed.page_check`) - always goes to
    review, with the reasons."""
    if page.score >= DIGITISED_POOR_BELOW:
        return routing
    why = "; ".join((*digitisation.reasons, *page.reasons)) or "no reason recorded"
    reason = (f"digitised from an image with quality {page.score:.2f} (below "
              f"{DIGITISED_POOR_BELOW:.2f}): {why}")
    return dataclasses.replace(routing, review=True, review_reasons=(*routing.review_reasons, reason))


def _checked_page(record: ECGRecord, quality: RecordQuality, m: Measurements,
                  pairs: tuple[MeasurementPair, ...], ruleset: RuleSet) -> PageCheck:
    """The page's score once its leads' agreement and values are checked
    (:func:`rules.printed.page_check`), lowered again, with the reason, for every large
    disagreement between its digitised signal and the measurements printed on it (when these
    were read from the page: :func:`rules.device.printed_disagreements`)."""
    assert record.digitisation is not None
    page = page_check(record.digitisation.score, quality.amplitudes, m.rhythm, m.implausible,
                      float(ruleset.quality["printed_limb_residual_max"]))
    printed = printed_disagreements(pairs) if record.device_report.read_from_image else ()
    if not printed:
        return page
    return dataclasses.replace(page, score=round(page.score * PRINTED_PENALTY ** len(printed), 3),
                               reasons=(*page.reasons, *printed))


def _digitised_note(digitisation: Digitisation, page: PageCheck) -> str:
    checked = (f", {page.score:.2f} once its leads were checked against each other: "
               f"{'; '.join(page.reasons)}" if page.reasons else "")
    return (f"Signal digitised from a paper ECG image ({digitisation.layout}, quality "
            f"{digitisation.score:.2f}{checked}); check it against the image.")


def analysis_window(record: ECGRecord, ruleset: RuleSet) -> ECGRecord:
    """The first ``max_analysis_s`` seconds of a long recording (the record itself if shorter)."""
    stop = int(float(ruleset.measurement["max_analysis_s"]) * record.fs)
    if record.n_samples <= stop:
        return record
    return ECGRecord.from_array(record.window(0, stop), record.fs, record.leads, record.source,
                                patient=record.patient, acquisition=record.acquisition,
                                device_report=record.device_report)


def analyze_recording(record: ECGRecord, delineation: Delineation | None,
                      ruleset: RuleSet | None = None) -> Analysis:
    """:func:`analyze` over the analysed window of a whole recording of any length.

    ``delineation`` covers the whole recording; only its waves inside the window are used.
    """
    ruleset = ruleset or load_ruleset()
    window = analysis_window(record, ruleset)
    if delineation is not None and window is not record:
        kept = tuple(w for w in delineation.waves if w.offset < window.n_samples)
        delineation = Delineation(delineation.fs, delineation.lead_names, kept,
                                  delineation.model_name, delineation.model_version)
    return analyze(window, delineation, ruleset=ruleset, duration_s=record.duration_s)


def beat_span(beat: Beat) -> tuple[int, int]:
    """Samples of one beat, from its P onset (or QRS onset) to one past its T (or QRS) offset."""
    start = beat.p.onset.sample if beat.p is not None else beat.qrs.onset.sample
    stop = beat.t.offset.sample if beat.t is not None else beat.qrs.offset.sample
    return start, stop + 1


def _flag_order(flag: Flag) -> tuple[int, int, str]:
    return (-flag.triage.rank, flag.severity is Severity.BORDERLINE, flag.id.value)


def _summary(m: Measurements) -> str:
    r, i = m.rhythm, m.intervals
    if r.hr_bpm.value is None:
        parts = [f"Rate not measured ({plain(r.hr_bpm.note) or 'no beats'})"]
    else:
        parts = [f"Rate {fmt(r.hr_bpm.value, 'bpm')} ({fmt(r.hr_min_bpm.value, 'bpm')}-"
                 f"{fmt(r.hr_max_bpm.value, 'bpm')})"]
    if r.p_share.value is not None:
        parts.append(f"P waves before {r.p_share.value:.0%} of beats")
    for label, value in (("PR", i.pr_ms), ("QRS", i.qrs_ms), ("QT", i.qt_ms)):
        parts.append(f"{label} {fmt(value.value, 'ms')}")
    parts.append(f"QTc {fmt(m.qtc.value, 'ms')} ({m.qtc_name})")
    parts.append(f"QRS axis {fmt(m.qrs_axis.value, 'deg')}")
    if m.source != "delineation":
        parts.append("(rate from a QRS detector only: the delineation was not available)")
    return ", ".join(parts) + "."

