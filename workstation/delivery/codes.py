"""The coded vocabulary every export shares: LOINC measurements, MDC leads, flag codes.

* Measurements: LOINC codes of the EKG.MEAS class (QTc by the named formula where LOINC has
  one: 76635-2 Bazett, 76634-5 Fridericia; 8636-3 otherwise, with the formula in the text),
  UCUM units, and the ISO/IEEE 11073-10102 (MDC) name the aECG uses.
* Leads: MDC_ECG_LEAD_* (ISO/IEEE 11073-10101), as FHIR codes (partition 2, 0x100 + lead
  number: 131329 = lead I, the numbering of the FHIR ECG example) and as SCP-ECG codes for
  DICOM (``5.6.3-9-<lead number>``).
* Interpretation: HL7 table 0078 / v3 ObservationInterpretation (``H``, ``L``, ``A``, ``AA``).
  A measurement beyond the threshold of a rule that judges it is ``H`` or ``L``; each rule
  flag is ``AA`` at alert severity and ``A`` otherwise (a borderline flag says so in its
  text: neither table has a borderline code).
* Flags, triage and confidence have no standard code: they use the local code system
  :data:`LOCAL_SYSTEM` with the stable ids of rules/README.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rules.analysis import Analysis
from rules.flag import Flag
from rules.qtc import FORMULA_NAMES
from rules.types import FlagId, Measured, QtcFormula, Severity

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
MDC_SYSTEM = "urn:oid:2.16.840.1.113883.6.24"
INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
LOCAL_SYSTEM = "urn:ecg-workstation:rules"
#: HL7 v2 coding system name of the local codes ("99" prefix: a locally defined table).
LOCAL_V2 = "99ECGWS"
#: LOINC "EKG study" (the whole ECG observation).
ECG_STUDY = ("11524-6", "EKG study")

#: MDC lead number of each standard lead (ISO/IEEE 11073-10101 MDC_ECG_LEAD_*).
LEAD_NUMBERS = {"I": 1, "II": 2, "V1": 3, "V2": 4, "V3": 5, "V4": 6, "V5": 7, "V6": 8,
                "III": 61, "aVR": 62, "aVL": 63, "aVF": 64}


@dataclass(frozen=True)
class MeasurementCode:
    """How one global measurement is named in every export."""

    key: str  # the measurement's name in the analysis JSON (rules/report.py)
    label: str
    loinc: str
    loinc_display: str
    ucum: str
    mdc: str  # aECG annotation code
    dicom_meaning: str  # DICOM code meaning, as device files (and our reader) name it


@dataclass(frozen=True)
class ReportedValue:
    """A measured value with its code and its interpretation (None when not judged abnormal)."""

    code: MeasurementCode
    value: float
    interpretation: str | None
    note: str = ""


_HR = MeasurementCode("hr_bpm", "Heart rate", "8867-4", "Heart rate", "/min", "MDC_ECG_HEART_RATE",
                      "Heart Rate")
_PR = MeasurementCode("pr_ms", "PR interval", "8625-6", "P-R Interval", "ms", "MDC_ECG_TIME_PD_PR",
                      "PR Interval")
_QRS = MeasurementCode("qrs_ms", "QRS duration", "8633-0", "QRS duration", "ms",
                       "MDC_ECG_TIME_PD_QRS", "QRS Duration")
_QT = MeasurementCode("qt_ms", "QT interval", "8634-8", "Q-T interval", "ms", "MDC_ECG_TIME_PD_QT",
                      "QT Interval")
_P_AXIS = MeasurementCode("p_axis_deg", "P axis", "8626-4", "P wave axis", "deg",
                          "MDC_ECG_ANGLE_P_FRONT", "P Axis")
_QRS_AXIS = MeasurementCode("qrs_axis_deg", "QRS axis", "8632-2", "QRS axis", "deg",
                            "MDC_ECG_ANGLE_QRS_FRONT", "QRS Axis")
_T_AXIS = MeasurementCode("t_axis_deg", "T axis", "8638-9", "T wave axis", "deg",
                          "MDC_ECG_ANGLE_T_FRONT", "T Axis")
_QTC_LOINC = {QtcFormula.BAZETT: ("76635-2", "Q-T interval corrected based on Bazett formula"),
              QtcFormula.FRIDERICIA: ("76634-5", "Q-T interval corrected based on Fridericia formula")}

#: Which measurement a rule judges, and whether its flag means high or low.
_JUDGED: dict[FlagId, tuple[str, str]] = {
    FlagId.BRADYCARDIA: ("hr_bpm", "L"), FlagId.TACHYCARDIA: ("hr_bpm", "H"),
    FlagId.FIRST_DEGREE_AV_BLOCK: ("pr_ms", "H"), FlagId.SHORT_PR: ("pr_ms", "L"),
    FlagId.WIDE_QRS: ("qrs_ms", "H"), FlagId.LONG_QTC: ("qtc_ms", "H"),
    FlagId.SHORT_QT: ("qtc_ms", "L"), FlagId.LEFT_AXIS_DEVIATION: ("qrs_axis_deg", "A"),
    FlagId.RIGHT_AXIS_DEVIATION: ("qrs_axis_deg", "A"), FlagId.EXTREME_AXIS: ("qrs_axis_deg", "A"),
}


def qtc_code(formula: QtcFormula) -> MeasurementCode:
    """The QTc code for ``formula`` (LOINC has method codes for Bazett and Fridericia only)."""
    loinc, display = _QTC_LOINC.get(formula, ("8636-3", "Q-T interval corrected"))
    return MeasurementCode("qtc_ms", f"QTc ({FORMULA_NAMES[formula]})", loinc, display, "ms",
                           "MDC_ECG_TIME_PD_QTc", "QTc Interval")


def reported_values(a: Analysis) -> list[ReportedValue]:
    """The global measurements that could be made, in report order, with interpretations."""
    m, r, i = a.measurements, a.measurements.rhythm, a.measurements.intervals
    measured: list[tuple[MeasurementCode, Measured]] = [
        (_HR, r.hr_bpm), (_PR, i.pr_ms), (_QRS, i.qrs_ms), (_QT, i.qt_ms),
        (qtc_code(m.qtc_formula), m.qtc), (_P_AXIS, m.p_axis), (_QRS_AXIS, m.qrs_axis),
        (_T_AXIS, m.t_axis),
    ]
    judged = _interpretations(a.flags)
    return [ReportedValue(code, reported_precision(value.value), judged.get(code.key), value.note)
            for code, value in measured if value.value is not None]


#: Decimals a reported measurement carries: whole bpm, ms and degrees, as the device prints
#: them and as they are measured (a 500 Hz sample is 2 ms); "59.947 bpm" claims a precision
#: that no beat-to-beat measurement has.
REPORTED_DECIMALS = 0


def reported_precision(value: float) -> float:
    """``value`` rounded to the precision a report states (half away from zero)."""
    scale = 10 ** REPORTED_DECIMALS
    return float(math.floor(abs(value) * scale + 0.5) / scale * math.copysign(1.0, value))


def _interpretations(flags: tuple[Flag, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for flag in flags:
        if flag.id in _JUDGED and flag.severity is not Severity.BORDERLINE:
            key, code = _JUDGED[flag.id]
            out[key] = code
    return out


def flag_interpretation(flag: Flag) -> str:
    """``AA`` for an alert, ``A`` for any other flag (see the module docstring)."""
    return "AA" if flag.severity is Severity.ALERT else "A"


def flag_title(flag: Flag) -> str:
    """"Long QTc" for ``long_qtc``, with "(borderline)" when it is."""
    title = _TITLES.get(flag.id, flag.id.value.replace("_", " ").capitalize())
    return title + (" (borderline)" if flag.severity is Severity.BORDERLINE else "")


def flag_statement(flag: Flag) -> str:
    """One line: title, severity and the flag's lead-wise reason."""
    severity = "" if flag.severity is Severity.BORDERLINE else f" [{flag.severity.value}]"
    return f"{flag_title(flag)}{severity}: {flag.reason}"


_TITLES = {FlagId.FIRST_DEGREE_AV_BLOCK: "First-degree AV block", FlagId.SHORT_PR: "Short PR",
           FlagId.WIDE_QRS: "Wide QRS", FlagId.LONG_QTC: "Long QTc", FlagId.SHORT_QT: "Short QT",
           FlagId.ST_ELEVATION: "ST elevation", FlagId.ST_DEPRESSION: "ST depression",
           FlagId.LVH_VOLTAGE: "LVH voltage", FlagId.LOW_QRS_VOLTAGE: "Low QRS voltage"}


def lead_code_fhir(lead: str) -> str | None:
    """MDC_ECG_ELEC_POTL_<lead> as the FHIR ECG example codes it (131329 = lead I)."""
    number = LEAD_NUMBERS.get(lead)
    return None if number is None else str(2 * 65536 + 256 + number)
