"""Preferences: persisted in QSettings (an INI file in tmp_path), edited in the real dialog
driven by pytest-qt, and applied to the rules and the view."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore, QtWidgets

from rules.ruleset import load_ruleset
from rules.types import QtcFormula
from workstation.ui.corrections import SETTINGS_STORE, SETTINGS_USER, settings_store_path
from workstation.ui.preferences import (
    Preferences,
    PreferencesDialog,
    apply_to_view,
    load_preferences,
    save_preferences,
)
from workstation.ui.state import ViewState


@pytest.fixture
def settings(tmp_path: Path) -> QtCore.QSettings:
    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


CHANGED = Preferences(speed_mm_s=50.0, gain_mm_mv=20.0, baseline_removal=True, notch_hz=60.0,
                      lowpass_hz=40.0, qtc_formula=QtcFormula.BAZETT, review_threshold=0.75,
                      store_path=Path("/tmp/site/annotations.sqlite"), user="ana")


def test_defaults_when_nothing_is_stored(settings) -> None:
    assert load_preferences(settings) == Preferences()


def test_round_trip_through_a_fresh_settings_object(settings, tmp_path) -> None:
    save_preferences(CHANGED, settings)
    again = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    assert load_preferences(again) == CHANGED
    # the keys the main window reads
    assert again.value(SETTINGS_USER) == "ana"
    assert settings_store_path(again) == Path("/tmp/site/annotations.sqlite")
    assert again.value(SETTINGS_STORE) == "/tmp/site/annotations.sqlite"


def test_unreadable_values_fall_back_to_defaults(settings) -> None:
    for key, value in (("paper/speed_mm_s", "fast"), ("paper/gain_mm_mv", "7"),
                       ("rules/qtc_formula", "magic"), ("rules/review_threshold", "2"),
                       ("filters/notch_hz", "55")):
        settings.setValue(key, value)
    assert load_preferences(settings) == Preferences()


def test_ruleset_takes_formula_threshold_and_site_file(tmp_path) -> None:
    shipped = load_ruleset()
    assert Preferences().ruleset() == shipped
    site = tmp_path / "site.toml"
    site.write_text('[ruleset]\nsite = "Ward 7"\n', encoding="utf-8")
    rules = Preferences(qtc_formula=QtcFormula.HODGES, review_threshold=0.9,
                        ruleset_path=site).ruleset()
    assert rules.qtc_formula is QtcFormula.HODGES and rules.review_threshold == 0.9
    assert rules.site == "Ward 7" and str(site) in rules.sources


def test_apply_to_view_sets_paper_and_filters() -> None:
    state = apply_to_view(ViewState(), CHANGED)
    assert state.paper.speed_mm_s == 50.0 and state.paper.gain_mm_mv == 20.0
    assert state.conditioning.baseline_removal and state.conditioning.notch_hz == 60.0
    assert state.conditioning.lowpass_hz == 40.0


def test_dialog_shows_and_returns_what_the_user_set(qtbot) -> None:
    dialog = PreferencesDialog(Preferences())
    qtbot.addWidget(dialog)
    assert dialog.preferences() == Preferences()
    dialog.speed.setCurrentIndex(dialog.speed.findData(50.0))
    dialog.gain.setCurrentIndex(dialog.gain.findData(5.0))
    dialog.baseline.setChecked(True)
    dialog.notch.setCurrentIndex(dialog.notch.findData(50.0))
    dialog.qtc.setCurrentIndex(dialog.qtc.findData(QtcFormula.FRIDERICIA))
    assert not dialog.threshold.isEnabled()
    dialog.threshold_override.setChecked(True)
    assert dialog.threshold.isEnabled()
    dialog.threshold.setValue(0.45)
    qtbot.keyClicks(dialog.user, "ana")
    prefs = dialog.preferences()
    assert (prefs.speed_mm_s, prefs.gain_mm_mv, prefs.notch_hz) == (50.0, 5.0, 50.0)
    assert prefs.baseline_removal and prefs.qtc_formula is QtcFormula.FRIDERICIA
    assert prefs.review_threshold == 0.45 and prefs.user == "ana"


def test_dialog_refuses_a_broken_rule_file(qtbot, tmp_path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[ruleset\n", encoding="utf-8")
    dialog = PreferencesDialog(Preferences())
    qtbot.addWidget(dialog)
    dialog.rules_file.edit.setText(str(broken))
    dialog.accept()
    assert dialog.result() != QtWidgets.QDialog.DialogCode.Accepted
    assert "broken.toml" in dialog.error.text()
    dialog.rules_file.edit.setText("")
    dialog.accept()
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted


def test_dialog_renders(qtbot, tmp_path) -> None:
    dialog = PreferencesDialog(CHANGED)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    image = dialog.grab()
    assert image.width() > 300 and image.height() > 300
    image.save(str(tmp_path / "preferences.png"))
