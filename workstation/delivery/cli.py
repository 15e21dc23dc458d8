"""``ecgws report`` (one-page PDF) and ``ecgws interop`` (HL7 v2, FHIR, DICOM, aECG).

Both read the file, delineate it with the shipped model (``--no-model``: rate and rhythm
from a QRS detector only), run the rules, and write one output file. Imports stay cheap here:
readers, the model and Qt are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path

import click

EXIT_BAD_INPUT = 2
FORMATS = ("hl7", "fhir", "dicom", "aecg")
_SUFFIXES = {"hl7": ".hl7", "fhir": ".json", "dicom": ".dcm", "aecg": ".xml", "pdf": ".pdf"}


def register(group: click.Group) -> None:
    group.add_command(report_cmd)
    group.add_command(interop_cmd)


_common = [
    click.option("--out", "out", type=click.Path(path_type=Path), default=None,
                 help="Output file (default: FILE's name with the format's suffix, here)."),
    click.option("--no-model", is_flag=True,
                 help="Skip the delineation model (rate and rhythm only)."),
    click.option("--rules", "rules_file", type=click.Path(path_type=Path, dir_okay=False),
                 default=None, help="Site rule file overriding the shipped thresholds."),
    click.option("--reviewer", default=None,
                 help="Reviewing clinician's name (the result stays preliminary: unsigned)."),
]


def _options(func):  # noqa: ANN001, ANN202 - click decorator plumbing
    for option in reversed(_common):
        func = option(func)
    return func


@click.command("report")
@click.argument("file", type=click.Path(path_type=Path))
@_options
def report_cmd(file: Path, out: Path | None, no_model: bool, rules_file: Path | None,
               reviewer: str | None) -> None:
    """Write the one-page PDF report of FILE: 12-lead at 25 mm/s and 10 mm/mV with the
    P/QRS/T overlays, measurements, flags with their leads, confidence, triage, quality,
    versions and the reviewer (decision support: a clinician reviews every report)."""
    case = _case(file, no_model, rules_file, reviewer)
    from workstation.ui.report import write_pdf  # Qt only now

    target = _target(out, file, "pdf")
    write_pdf(case, target)
    click.echo(f"wrote {target} ({case.analysis.routing.triage.value}, "
               f"{len(case.analysis.flags)} flags)")


@click.command("interop")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--to", "fmt", type=click.Choice(FORMATS), required=True,
              help="hl7: HL7 v2.5 ORU^R01; fhir: FHIR R4 Observation (JSON); dicom: DICOM "
                   "ECG waveform; aecg: HL7 aECG XML.")
@_options
@click.option("--no-waveform", is_flag=True, help="FHIR: leave the SampledData out.")
def interop_cmd(file: Path, fmt: str, out: Path | None, no_model: bool, rules_file: Path | None,
                reviewer: str | None, no_waveform: bool) -> None:
    """Export FILE's measurements, rule flags, triage and (except HL7 v2) signal for a
    hospital system."""
    case = _case(file, no_model, rules_file, reviewer)
    target = _target(out, file, fmt)
    try:
        _write(case, fmt, target, waveform=not no_waveform)
    except (ValueError, OSError) as exc:
        click.echo(f"error: {file}: cannot write {fmt} to {target}: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    click.echo(f"wrote {target} ({fmt}, {len(case.analysis.flags)} flags, "
               f"{'final' if case.final else 'preliminary'})")


def _write(case, fmt: str, target: Path, *, waveform: bool) -> None:  # noqa: ANN001 - Case
    if fmt == "hl7":
        from workstation.delivery.hl7v2 import write_hl7v2

        write_hl7v2(case, target)
    elif fmt == "fhir":
        from workstation.delivery.fhir import write_fhir

        write_fhir(case, target, waveform=waveform)
    elif fmt == "dicom":
        from workstation.delivery.dicom_export import write_dicom

        write_dicom(case, target)
    else:
        from workstation.delivery.aecg_export import write_aecg

        write_aecg(case, target)


def _case(file: Path, no_model: bool, rules_file: Path | None, reviewer: str | None):  # noqa: ANN202
    """Read, delineate and analyse ``file``; without a working model the rules still run on
    rate and rhythm, with a warning (as ``ecgws analyze`` does)."""
    from rules.ruleset import RuleSetError, load_ruleset
    from workstation.delivery.case import Reviewer, build_case
    from workstation.io import ECGReadError, read_ecg
    from workstation.io.registry import resolve_path

    try:
        ruleset = load_ruleset(rules_file)
        record = read_ecg(resolve_path(file))
    except (ECGReadError, RuleSetError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    delineation = None
    if not no_model:
        try:
            import inference  # torch is loaded only here

            delineation = inference.delineate(record)
        except Exception as exc:  # the rules still run without the model
            click.echo(f"warning: {file}: delineation model unavailable ({exc}); rate and "
                       "rhythm only", err=True)
    return build_case(record, delineation, ruleset=ruleset,
                      reviewer=Reviewer(reviewer) if reviewer else None)


def _target(out: Path | None, file: Path, fmt: str) -> Path:
    if out is None:
        return Path(file.name.split(".")[0] + _SUFFIXES[fmt])
    if out.is_dir():
        return out / (file.name.split(".")[0] + _SUFFIXES[fmt])
    return out
