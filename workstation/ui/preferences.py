"""The user's preferences: what they are, where they are kept, and the dialog that edits them.

:class:`Preferences` is plain data, persisted in the application's ``QSettings`` (the keys in
:data:`KEYS`; ``store/path`` and ``user/name`` are the ones the main window already reads).
It turns into what the rest of the program takes: :meth:`Preferences.paper` and
:meth:`Preferences.conditioning` for the view (:func:`apply_to_view`), and
:meth:`Preferences.ruleset` for the rules: the rule file (the shipped one, overridden by a
site file), with the QTc formula and the review threshold replaced when the user chose them.

A value in the settings that cannot be read falls back to its default; it never stops the
program from starting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from rules.qtc import FORMULA_NAMES
from rules.ruleset import RuleSet, RuleSetError, load_ruleset
from rules.types import QtcFormula
from workstation.store.location import LocationError, StoreLocation, is_server, parse_location
from workstation.core.conditioning import ConditioningSettings
from workstation.core.layout import GAINS_MM_MV, PAPER_SPEEDS_MM_S, PaperSettings

NOTCH_CHOICES: tuple[float | None, ...] = (None, 50.0, 60.0)
LOWPASS_CHOICES: tuple[float | None, ...] = (None, 40.0, 100.0, 150.0)

#: QSettings key of each field.
KEYS = {
    "speed_mm_s": "paper/speed_mm_s",
    "gain_mm_mv": "paper/gain_mm_mv",
    "baseline_removal": "filters/baseline_removal",
    "notch_hz": "filters/notch_hz",
    "lowpass_hz": "filters/lowpass_hz",
    "qtc_formula": "rules/qtc_formula",
    "ruleset_path": "rules/site_file",
    "review_threshold": "rules/review_threshold",
    "store_path": "store/path",
    "user": "user/name",
}


@dataclass(frozen=True)
class Preferences:
    """Everything the preferences dialog sets. ``None`` means "the default" (for the rules:
    what the rule file says; for the store: the standard location)."""

    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    baseline_removal: bool = False
    notch_hz: float | None = None
    lowpass_hz: float | None = None
    qtc_formula: QtcFormula | None = None
    ruleset_path: Path | None = None
    review_threshold: float | None = None
    store_path: StoreLocation | None = None  # a file, or a postgresql:// URL
    user: str = ""

    def paper(self) -> PaperSettings:
        return PaperSettings(self.speed_mm_s, self.gain_mm_mv)

    def conditioning(self) -> ConditioningSettings:
        return ConditioningSettings(self.baseline_removal, self.notch_hz, self.lowpass_hz)

    def ruleset(self) -> RuleSet:
        """The rules as these preferences want them.

        Raises
        ------
        RuleSetError
            The site rule file is missing or malformed (the message names it).
        """
        rules = load_ruleset(self.ruleset_path)
        changes: dict = {}
        if self.qtc_formula is not None:
            changes["qtc_formula"] = self.qtc_formula
        if self.review_threshold is not None:
            changes["review_threshold"] = self.review_threshold
        return dataclasses.replace(rules, **changes) if changes else rules


def load_preferences(settings: QtCore.QSettings) -> Preferences:
    """The preferences stored in ``settings`` (defaults for anything absent or unreadable)."""
    d = Preferences()
    return Preferences(
        speed_mm_s=_choice(_float(settings.value(KEYS["speed_mm_s"])), PAPER_SPEEDS_MM_S, d.speed_mm_s),
        gain_mm_mv=_choice(_float(settings.value(KEYS["gain_mm_mv"])), GAINS_MM_MV, d.gain_mm_mv),
        baseline_removal=str(settings.value(KEYS["baseline_removal"], "false")).lower() == "true",
        notch_hz=_choice(_float(settings.value(KEYS["notch_hz"])), NOTCH_CHOICES, None),
        lowpass_hz=_choice(_float(settings.value(KEYS["lowpass_hz"])), LOWPASS_CHOICES, None),
        qtc_formula=_formula(settings.value(KEYS["qtc_formula"])),
        ruleset_path=_path(settings.value(KEYS["ruleset_path"])),
        review_threshold=_threshold(settings.value(KEYS["review_threshold"])),
        store_path=_store(settings.value(KEYS["store_path"])),
        user=str(settings.value(KEYS["user"], "") or ""),
    )


def save_preferences(prefs: Preferences, settings: QtCore.QSettings) -> None:
    """Store ``prefs`` in ``settings`` (a default is stored as an empty value)."""
    for field, key in KEYS.items():
        value = getattr(prefs, field)
        if isinstance(value, QtcFormula):
            value = value.value
        elif isinstance(value, bool):
            value = "true" if value else "false"
        settings.setValue(key, "" if value is None else str(value))
    settings.sync()


def apply_to_view(state, prefs: Preferences):  # noqa: ANN001, ANN201 - workstation.ui.state.ViewState
    """``state`` with the preferred paper speed, gain and display filters."""
    return dataclasses.replace(state, paper=prefs.paper(), conditioning=prefs.conditioning())


def edit_preferences(settings: QtCore.QSettings,
                     parent: QtWidgets.QWidget | None = None) -> Preferences | None:
    """Show the dialog; save and return the new preferences, or None when cancelled."""
    dialog = PreferencesDialog(load_preferences(settings), parent)
    if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
        return None
    prefs = dialog.preferences()
    save_preferences(prefs, settings)
    return prefs


class PreferencesDialog(QtWidgets.QDialog):
    """Paper, display filters, rules, store and user, in one form."""

    def __init__(self, prefs: Preferences, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setObjectName("preferences")
        self._user = prefs.user
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self._paper_box(prefs))
        layout.addWidget(self._filter_box(prefs))
        layout.addWidget(self._rules_box(prefs))
        layout.addWidget(self._store_box(prefs))
        self.error = QtWidgets.QLabel("")
        self.error.setStyleSheet("color: #b30000")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # -- sections -----------------------------------------------------------------------
    def _paper_box(self, prefs: Preferences) -> QtWidgets.QGroupBox:
        box, form = _group("Paper")
        self.speed = _combo([(f"{s:g} mm/s", s) for s in PAPER_SPEEDS_MM_S], prefs.speed_mm_s)
        self.gain = _combo([(f"{g:g} mm/mV", g) for g in sorted(GAINS_MM_MV)], prefs.gain_mm_mv)
        form.addRow("Speed", self.speed)
        form.addRow("Gain", self.gain)
        return box

    def _filter_box(self, prefs: Preferences) -> QtWidgets.QGroupBox:
        box, form = _group("Display filters (the stored signal is never changed)")
        self.baseline = QtWidgets.QCheckBox("Remove baseline wander (0.67 Hz, zero phase)")
        self.baseline.setChecked(prefs.baseline_removal)
        self.notch = _combo([("Off", None), ("50 Hz", 50.0), ("60 Hz", 60.0)], prefs.notch_hz)
        self.lowpass = _combo([("Off", None), ("40 Hz (monitoring)", 40.0), ("100 Hz", 100.0),
                               ("150 Hz (diagnostic)", 150.0)], prefs.lowpass_hz)
        form.addRow(self.baseline)
        form.addRow("Powerline notch", self.notch)
        form.addRow("Low-pass", self.lowpass)
        return box

    def _rules_box(self, prefs: Preferences) -> QtWidgets.QGroupBox:
        box, form = _group("Rules")
        self.qtc = _combo([("As the rule file says", None)]
                          + [(FORMULA_NAMES[f], f) for f in QtcFormula], prefs.qtc_formula)
        self.rules_file = _PathField(prefs.ruleset_path, "Site rule file (TOML)",
                                     "Rule files (*.toml)", save=False)
        self.threshold_override = QtWidgets.QCheckBox("Override")
        self.threshold = QtWidgets.QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(prefs.review_threshold if prefs.review_threshold is not None
                                else _shipped_threshold())
        self.threshold_override.setChecked(prefs.review_threshold is not None)
        self.threshold.setEnabled(prefs.review_threshold is not None)
        self.threshold_override.toggled.connect(self.threshold.setEnabled)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.threshold_override)
        row.addWidget(self.threshold, 1)
        form.addRow("QTc formula", self.qtc)
        form.addRow("Site rule file", self.rules_file)
        form.addRow("Review below confidence", row)
        return box

    def _store_box(self, prefs: Preferences) -> QtWidgets.QGroupBox:
        box, form = _group("Annotation store and user")
        self.store = _PathField(prefs.store_path, "Annotation store", "SQLite store (*.sqlite)",
                                save=True)
        self.user = QtWidgets.QLineEdit(prefs.user)
        self.user.setPlaceholderText("annotator id in the store")
        form.addRow("Store file", self.store)
        form.addRow("User", self.user)
        return box

    # -- result -------------------------------------------------------------------------
    def preferences(self) -> Preferences:
        """What the form says now."""
        return Preferences(
            speed_mm_s=self.speed.currentData(), gain_mm_mv=self.gain.currentData(),
            baseline_removal=self.baseline.isChecked(), notch_hz=self.notch.currentData(),
            lowpass_hz=self.lowpass.currentData(), qtc_formula=self.qtc.currentData(),
            ruleset_path=self.rules_file.path(),
            review_threshold=(round(self.threshold.value(), 2)
                              if self.threshold_override.isChecked() else None),
            store_path=self._store_location(), user=self.user.text().strip(),
        )

    def _store_location(self) -> StoreLocation | None:
        """The store field: a file, or a server's ``postgresql://`` URL typed in."""
        text = self.store.edit.text().strip()
        try:
            return parse_location(text) if is_server(text) else self.store.path()
        except LocationError:
            return None

    def accept(self) -> None:
        """Close only when the rule file loads and the store path is a file path."""
        prefs = self.preferences()
        try:
            prefs.ruleset()
        except RuleSetError as exc:
            self.error.setText(f"Rule file: {exc}")
            return
        try:
            parse_location(self.store.edit.text().strip() or ".")
        except LocationError as exc:
            self.error.setText(f"Store: {exc}")
            return
        if isinstance(prefs.store_path, Path) and prefs.store_path.is_dir():
            self.error.setText(f"Store: {prefs.store_path} is a folder; choose a file")
            return
        self.error.setText("")
        super().accept()


class _PathField(QtWidgets.QWidget):
    """A path in a line edit with a Browse button (empty: the default)."""

    def __init__(self, path: Path | None, title: str, filters: str, *, save: bool) -> None:
        super().__init__()
        self._title, self._filters, self._save = title, filters, save
        self.edit = QtWidgets.QLineEdit(str(path) if path else "")
        self.edit.setPlaceholderText("default")
        button = QtWidgets.QPushButton("Browse...")
        button.clicked.connect(self._browse)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(button)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def _browse(self) -> None:
        pick = (QtWidgets.QFileDialog.getSaveFileName if self._save
                else QtWidgets.QFileDialog.getOpenFileName)
        chosen, _ = pick(self, self._title, self.edit.text(), self._filters)
        if chosen:
            self.edit.setText(chosen)


def _shipped_threshold() -> float:
    try:
        return load_ruleset().review_threshold
    except RuleSetError:
        return 0.6  # the shipped file's value; only shown as the starting point


def _group(title: str) -> tuple[QtWidgets.QGroupBox, QtWidgets.QFormLayout]:
    box = QtWidgets.QGroupBox(title)
    return box, QtWidgets.QFormLayout(box)


def _combo(items: list[tuple[str, object]], current: object) -> QtWidgets.QComboBox:
    combo = QtWidgets.QComboBox()
    for text, data in items:
        combo.addItem(text, data)
    index = next((i for i, (_, data) in enumerate(items) if data == current), 0)
    combo.setCurrentIndex(index)
    return combo


def _float(value: object) -> float | None:
    try:
        return float(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _choice(value: float | None, choices, default):  # noqa: ANN001, ANN202
    return value if value in choices else default


def _formula(value: object) -> QtcFormula | None:
    try:
        return QtcFormula(str(value)) if value else None
    except ValueError:
        return None


def _path(value: object) -> Path | None:
    return Path(str(value)) if value else None


def _store(value: object) -> StoreLocation | None:
    try:
        return parse_location(str(value)) if value else None
    except LocationError:  # a URL with a password never comes back from the preferences
        return None


def _threshold(value: object) -> float | None:
    number = _float(value)
    return number if number is not None and 0.0 <= number <= 1.0 else None
