"""A case: one record with its delineation, rule analysis and reviewing clinician.

It is what every export and the PDF report are made from, so that all of them say the same
thing about the same ECG.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from rules.analysis import Analysis, analyze_recording
from rules.ruleset import RuleSet
from workstation.core.delineation import Delineation
from workstation.core.record import ECGRecord
from workstation.io import read_ecg
from workstation.store import AnnotationStore


@dataclass(frozen=True)
class Reviewer:
    """The clinician responsible for the result, and whether they signed it.

    ``signed`` is true once their annotation set was submitted and signed in the store
    (HMAC with their keyring secret); until then every export is marked preliminary.
    """

    name: str
    role: str = "annotator"
    signed: bool = False
    signed_at: str | None = None  # ISO 8601 time of the signature
    problem: str | None = None  # why a signature present in the store does not hold

    @property
    def status(self) -> str:
        if self.problem:
            return f"signature NOT valid: {self.problem} (preliminary)"
        if not self.signed:
            return "not signed (preliminary)"
        return "signed" + (f" {self.signed_at}" if self.signed_at else "")


def reviewer_from_store(store: AnnotationStore, set_id: int) -> Reviewer:
    """The author of annotation set ``set_id`` and whether their signature holds (checked
    with their secret from this computer's keyring): a result is final only then."""
    info = store.set_info(set_id)
    if info.annotator_id is None:
        raise ValueError(f"set {set_id} is a model's proposal, not a reviewer's set")
    author = store.annotator(info.annotator_id)
    if info.signature is None:
        return Reviewer(author.name, author.role.value)
    check = store.verify_signature(set_id)
    return Reviewer(author.name, author.role.value, check.valid, info.submitted_at,
                    None if check.valid else check.reason)


@dataclass(frozen=True)
class Case:
    """Everything an export says about one ECG."""

    record: ECGRecord
    delineation: Delineation | None
    analysis: Analysis
    reviewer: Reviewer | None = None
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def final(self) -> bool:
        """A signed result is final; anything else is preliminary."""
        return self.reviewer is not None and self.reviewer.signed

    @property
    def name(self) -> str:
        return self.analysis.record


def build_case(record: ECGRecord, delineation: Delineation | None, *,
               reviewer: Reviewer | None = None, ruleset: RuleSet | None = None) -> Case:
    """Run the rules over ``record`` (its analysed window) and wrap the result."""
    analysis = analyze_recording(record, delineation, ruleset)
    return Case(record, delineation, analysis, reviewer)


def case_from_file(path: Path, *, use_model: bool = True, reviewer: Reviewer | None = None,
                   ruleset: RuleSet | None = None) -> Case:
    """Read ``path``, delineate it with the shipped model (unless ``use_model`` is false) and
    analyse it.

    Raises
    ------
    workstation.io.ECGReadError
        The file cannot be read as an ECG.
    """
    record = read_ecg(path)
    delineation = None
    if use_model:
        import inference  # torch is loaded only here

        delineation = inference.delineate(record)
    return build_case(record, delineation, reviewer=reviewer, ruleset=ruleset)
