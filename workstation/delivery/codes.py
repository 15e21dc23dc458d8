"""The coded vocabulary every export shares: LOINC measurements, SNOMED CT and SCP-ECG findings,
MDC and SCP-ECG leads, and the few local codes (README.md beside this file lists them all).

* Measurements: LOINC codes of the EKG.MEAS class (QTc by the named formula where LOINC has
  one: 76635-2 Bazett, 76634-5 Fridericia; 8636-3 otherwise, with the formula in the text),
  UCUM units, and the ISO/IEEE 11073-10102 (MDC) name the aECG uses.
* Leads: MDC_ECG_LEAD_* (ISO/IEEE 11073-10101), as FHIR codes (partition 2, 0x100 + lead
  number: 131329 = lead I, the numbering of the FHIR ECG example) and as SCP-ECG codes for
  DICOM (``5.6.3-9-<lead number>``).
* Interpretation: HL7 table 0078 / v3 ObservationInterpretation (``N``, ``H``, ``L``, ``A``,
  ``AA``). A measurement beyond the threshold of a rule that judges it is ``H`` or ``L``
  (``A`` for an axis), ``N`` otherwise; each rule flag is ``AA`` at alert severity and ``A``
  otherwise (a borderline flag says so in its text: neither table has a borderline code).
* Findings (the rule flags): SNOMED CT concepts as the PhysioNet/CinC Challenge 2021 label set
  uses them (``dx_mapping_scored.csv`` / ``dx_mapping_unscored.csv``), and the SCP-ECG
  (EN 1064) statement acronym where the PTB-XL statement table has one with the same meaning;
  their observation is LOINC 8601-7 "EKG impression".
* Precision: each measurement is reported with the decimals of :attr:`MeasurementCode.decimals`
  (whole ms, bpm and degrees, as devices report them and clinicians read them; the sampling
  period at 500 Hz is 2 ms).
* The local code system :data:`LOCAL_SYSTEM` (``99ECGWS`` in HL7 v2 and DICOM) is used only
  for what has no standard code: :data:`PRIVATE_CODES` lists each use with its reason, and
  every flag keeps its stable id of rules/README.md as an alternate local code.
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
SNOMED_SYSTEM = "http://snomed.info/sct"
#: CEN (EN 1064, SCP-ECG) ECG diagnostic codes: HL7 OID 2.16.840.1.113883.6.80, v2 table 0396 "CE".
SCP_STATEMENT_SYSTEM = "urn:oid:2.16.840.1.113883.6.80"
#: LOINC "EKG impression": the observation whose value is a coded finding.
ECG_IMPRESSION = ("8601-7", "EKG impression")
#: ISO/IEEE 11073-10101 (MDC) as FHIR names it, for the numeric MDC codes.
MDC_FHIR_SYSTEM = "urn:iso:std:iso:11073:10101"
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
    decimals: int = 0  # the precision every export reports it with
    mdc_numeric: str | None = None  # ISO/IEEE 11073-10101 numeric code, where FHIR uses one

    def text(self, value: float) -> str:
        """``value`` at the measurement's precision ("-0" written as "0")."""
        text = f"{value:.{self.decimals}f}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text

    def rounded(self, value: float) -> float | int:
        """``value`` at the measurement's precision, as a JSON number."""
        number = float(self.text(value))
        return int(number) if self.decimals == 0 else number


@dataclass(frozen=True)
class ReportedValue:
    """A measured value with its code and its interpretation (None when not judged abnormal)."""

    code: MeasurementCode
    value: float
    interpretation: str | None
    note: str = ""

    @property
    def text(self) -> str:
        """The value at its precision, as every export writes it."""
        return self.code.text(self.value)


_HR = MeasurementCode("hr_bpm", "Heart rate", "8867-4", "Heart rate", "/min", "MDC_ECG_HEART_RATE",
                      "Heart Rate", mdc_numeric="147842")
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


#: The device's measurement names (rules/device.py) and their codes; a QTc of the device by
#: an unstated formula gets the generic LOINC QTc code.
_DEVICE_CODES = {"Ventricular rate": _HR, "PR": _PR, "QRS": _QRS, "QT": _QT, "P axis": _P_AXIS,
                 "QRS axis": _QRS_AXIS, "T axis": _T_AXIS}


def device_code(name: str) -> MeasurementCode | None:
    """The code of a device measurement named as rules/device.py names it (None: no code)."""
    if name == "QTc":
        return MeasurementCode("qtc_ms", "QTc (device)", "8636-3", "Q-T interval corrected", "ms",
                               "MDC_ECG_TIME_PD_QTc", "QTc Interval")
    return _DEVICE_CODES.get(name)


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


@dataclass(frozen=True)
class FindingCode:
    """The standard codes of one rule flag's finding (None where the standard has none)."""

    snomed: str | None
    snomed_display: str | None
    scp: str | None = None  # SCP-ECG statement acronym (PTB-XL statement table)
    scp_display: str | None = None


#: Each flag's finding: SNOMED CT as in the CinC 2021 label set, SCP-ECG where it says the same.
FINDINGS: dict[FlagId, FindingCode] = {
    FlagId.BRADYCARDIA: FindingCode("426627000", "Bradycardia"),
    FlagId.POSSIBLE_ATRIAL_FIBRILLATION: FindingCode("164889003", "Atrial fibrillation", "AFIB",
                                                     "atrial fibrillation"),
    FlagId.FIRST_DEGREE_AV_BLOCK: FindingCode("270492004", "1st degree AV block", "1AVB",
                                              "first degree AV block"),
    FlagId.SHORT_PR: FindingCode("49578007", "Shortened PR interval"),
    FlagId.LONG_QTC: FindingCode("111975006", "Prolonged QT interval", "LNGQT", "long QT-interval"),
    FlagId.SHORT_QT: FindingCode("77867006", "Decreased QT interval"),
    FlagId.ST_ELEVATION: FindingCode("164931005", "ST elevation", "STE_",
                                     "non-specific ST elevation"),
    FlagId.ST_DEPRESSION: FindingCode("429622005", "ST depression", "STD_",
                                      "non-specific ST depression"),
    FlagId.T_WAVE_INVERSION: FindingCode("59931005", "T wave inversion", "INVT", "inverted T-waves"),
    FlagId.LEFT_AXIS_DEVIATION: FindingCode("39732003", "Left axis deviation"),
    FlagId.RIGHT_AXIS_DEVIATION: FindingCode("47665007", "Right axis deviation"),
    FlagId.LVH_VOLTAGE: FindingCode("55827005", "Left ventricular high voltage", "VCLVH",
                                    "voltage criteria (QRS) for left ventricular hypertrophy"),
    # not SCP-ECG LVOLT ("in the frontal and horizontal leads"): the rule needs either
    FlagId.LOW_QRS_VOLTAGE: FindingCode("251146004", "Low QRS voltages"),
    FlagId.PACED_RHYTHM: FindingCode("10370003", "Pacing rhythm"),
}

#: Everything coded in the local scheme, with the reason no standard code is used.
PRIVATE_CODES: dict[str, str] = {
    FlagId.TACHYCARDIA.value: "a rate above the threshold whatever the rhythm: the CinC 2021 set "
                              "has sinus and supraventricular tachycardia, which the flag does "
                              "not establish",
    FlagId.IRREGULAR_RHYTHM.value: "RR irregularity without a rhythm diagnosis: no CinC 2021 concept",
    FlagId.WIDE_QRS.value: "QRS duration above the threshold without naming the block (LBBB, RBBB, "
                           "IVCD): no CinC 2021 concept for the measurement alone",
    FlagId.WIDE_COMPLEX_TACHYCARDIA.value: "wide and fast without a rhythm diagnosis (ventricular "
                                           "or aberrant): no CinC 2021 concept",
    FlagId.EXTREME_AXIS.value: "a QRS axis between -90 and -180 degrees (northwest): CinC 2021 has "
                               "left, right and indeterminate axis only",
    FlagId.POOR_SIGNAL_QUALITY.value: "about the recording, not the heart: no clinical concept",
    FlagId.INCONSISTENT_AMPLITUDES.value: "about the recording (limb-lead arithmetic), not the "
                                          "heart: no clinical concept",
    "triage": "the workstation's routing category (acute, abnormal, normal, ...): no standard "
              "vocabulary",
    "confidence": "the workstation's confidence in its own analysis: no standard concept",
    "review": "whether a clinician must review the result: no standard concept (the value is "
              "HL7 table 0136 Y/N)",
    "assessment-note": "what was not assessed and the device concordance, as text",
    "lead-<name>": "a lead that neither the SCP-ECG lead table nor MDC names (e.g. the MLII of a "
                   "Holter): its label is kept",
}


def finding_code(flag: Flag) -> FindingCode | None:
    """The standard codes of ``flag``'s finding; None when it has none (see PRIVATE_CODES)."""
    return FINDINGS.get(flag.id)


def private_code_table() -> str:
    """The private codes and their reasons as a Markdown table (documentation)."""
    rows = ["| local code | why no standard code |", "| --- | --- |"]
    rows += [f"| `{code}` | {why} |" for code, why in PRIVATE_CODES.items()]
    return "\n".join(rows)
