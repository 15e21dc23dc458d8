"""The field's own validators run over our exports: does a PACS or an interface engine accept them?

* DICOM: ``dciodvfy`` (dicom3tools, David Clunie), the IOD checker of the DICOM standard's
  editor: every error is a file a strict archive may refuse.
* FHIR: the official HL7 FHIR validator (Java, ``validator_cli.jar``) where it is installed
  (``ECGWS_FHIR_VALIDATOR`` names the jar, or ``~/.cache/ecgws/validator_cli.jar``; it needs the
  ``hl7.fhir.r4.core`` package in its cache), and always ``fhirkit`` (R4 4.0.1 models generated
  from the specification) and ``fhir.resources`` (R4B models; every element we write is the
  same in R4).
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
    return [hl7_fhir_validator(path), fhirkit_r4(data), fhir_resources_r4b(data)]


def fhirkit_r4(data: dict[str, Any]) -> Verdict:
    try:
        import fhirkit
    except ImportError:
        return _missing("fhirkit (R4)", "fhirkit-rs not installed")
    issues = fhirkit.validate(data)
    errors = tuple(str(i) for i in issues if "error" in str(i).lower()[:12])
    warnings = tuple(str(i) for i in issues if str(i) not in errors)
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
    candidates.append(Path.home() / ".cache" / "ecgws" / "validator_cli.jar")
    return next((p for p in candidates if p.is_file()), None)


def hl7_fhir_validator(path: Path) -> Verdict:
    """The official HL7 validator against FHIR R4 (4.0.1), without a terminology server."""
    name = "HL7 FHIR validator (R4 4.0.1)"
    jar = fhir_validator_jar()
    java = shutil.which("java")
    if jar is None or java is None:
        return _missing(name, f"no validator jar ({FHIR_VALIDATOR_ENV} or "
                              "~/.cache/ecgws/validator_cli.jar)" if java else "no java")
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
