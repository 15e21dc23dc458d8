"""Fixtures of the Qt tier: a shown main window at a typical size, synthetic records."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6 import QtCore

from workstation.ui.main_window import MainWindow


@pytest.fixture
def settings(tmp_path) -> QtCore.QSettings:
    """Preferences in this test's folder, never the user's."""
    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, tmp_path, settings) -> MainWindow:
    """A main window that reads in the foreground and shows errors modeless.

    Automatic delineation is off so that each test runs only the model when it means to
    (tests/ui/test_overlays.py does).
    """
    win = MainWindow(modal_errors=False, background_loading=False,
                     store_path=tmp_path / "annotations.sqlite", settings=settings)
    win.set_state(dataclasses.replace(win.state, auto_delineate=False))
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    return win
