"""Reports and exports of the open record: the printed or PDF page, and the hospital formats.

:class:`ReportActions` turns the open record, the boundaries shown and the rules' analysis into a
:class:`~workstation.delivery.case.Case` and hands it to the writers. It reports through
signals, as :class:`~workstation.ui.record_session.RecordSession` does.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from workstation.ui.corrections import Corrections
from workstation.ui.record_session import RecordSession

if TYPE_CHECKING:
    from workstation.delivery.case import Case

#: Export kind -> (file-dialog filter, file-name suffix); the writers are imported when used.
EXPORT_FILES = {"hl7": ("HL7 v2 message (*.hl7)", ".hl7"),
                "fhir": ("FHIR JSON (*.json)", ".fhir.json"),
                "dicom": ("DICOM ECG (*.dcm)", ".dcm"),
                "aecg": ("HL7 aECG (*.xml)", ".aecg.xml")}


class ReportActions(QtCore.QObject):
    """Print, save and export the open record as its report or a hospital message.

    Parameters
    ----------
    session
        The open record, its delineation and analysis.
    corrections
        Who reviewed it, and whether their set is signed.
    parent
        The window: file dialogs open over it.

    Signals
    -------
    message(str, int), problem(str, str)
        Status text and its duration (ms); a message and a title the user must read.
    """

    message = QtCore.Signal(str, int)
    problem = QtCore.Signal(str, str)

    def __init__(self, session: RecordSession, corrections: Corrections,
                 parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.session, self.corrections = session, corrections
        self.commands = {"print_report": self.print_report, "save_report": self.save_report,
                         **{f"export_{kind}": partial(self.export_for_hospital, kind)
                            for kind in EXPORT_FILES}}

    def report_case(self) -> Case | None:
        """The open record as a report sees it: boundaries shown, rules, and who reviewed it."""
        record = self.session.record
        if record is None:
            return None
        from workstation.delivery.case import Case, build_case

        reviewer = self._reviewer()
        analysis = self.session.current_analysis()
        if analysis is not None:
            return Case(record, self.session.delineation, analysis, reviewer)
        return build_case(record, self.session.delineation, reviewer=reviewer,
                          ruleset=self.session.ruleset)

    def _reviewer(self):  # noqa: ANN202 - workstation.delivery.case.Reviewer | None
        """Who signed the set (final only when its signature holds here), else who is signed in."""
        from workstation.delivery.case import Reviewer, reviewer_from_store
        from workstation.store import StoreError

        user, info = self.corrections.user, self.corrections.set_info
        reviewer = None
        if info is not None and self.corrections.store is not None:
            try:
                reviewer = reviewer_from_store(self.corrections.store, info.id)
            except StoreError:
                reviewer = None
        if reviewer is None and user is not None:
            reviewer = Reviewer(user.name, user.role.value)
        return reviewer

    def export_for_hospital(self, kind: str, path: Path | None = None) -> Path | None:
        """Write the open record as HL7 v2 ORU^R01, FHIR R4 Observation, DICOM ECG or HL7 aECG."""
        from workstation.delivery import aecg_export, dicom_export, fhir, hl7v2

        write = {"hl7": hl7v2.write_hl7v2, "fhir": fhir.write_fhir,
                 "dicom": dicom_export.write_dicom, "aecg": aecg_export.write_aecg}[kind]
        filter_, suffix = EXPORT_FILES[kind]
        case = self.report_case()
        if case is None:
            return None
        path = path or self._ask_save_path("Export", suffix, filter_)
        if path is None:
            return None
        try:
            written = write(case, path)
        except (OSError, ValueError) as exc:
            self.problem.emit(f"{path}: {exc}", "Not exported")
            return None
        state = "final (signed)" if case.final else "preliminary (not signed)"
        self.message.emit(f"Exported {state} result to {written}", 8000)
        return written

    def print_report(self) -> None:
        """Send the one-page report to a printer the user picks."""
        from workstation.ui.report import print_report

        case = self.report_case()
        if case is not None and print_report(case, self._parent):
            self.message.emit("Report sent to the printer", 5000)

    def save_report(self, path: Path | None = None) -> Path | None:
        """Write the one-page PDF report (asks where unless ``path`` is given)."""
        from workstation.ui.report import write_pdf

        case = self.report_case()
        if case is None:
            return None
        path = path or self._ask_save_path("Save report as PDF", "-report.pdf", "PDF (*.pdf)")
        if path is None:
            return None
        try:
            written = write_pdf(case, path)
        except OSError as exc:
            self.problem.emit(str(exc), "Report not saved")
            return None
        self.message.emit(f"Report saved to {written}", 8000)
        return written

    def _ask_save_path(self, caption: str, suffix: str, filter_: str) -> Path | None:
        """Ask where to write; the name offered is the record's stem with ``suffix``."""
        stem = self.session.record.source.path.stem
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self._parent, caption, f"{stem}{suffix}", filter_)
        return Path(name) if name else None
