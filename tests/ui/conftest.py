"""Fixtures of the Qt tier: a shown main window at a typical size, synthetic records."""

from __future__ import annotations

import pytest

from workstation.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot) -> MainWindow:
    """A main window that reads in the foreground and shows errors modeless."""
    win = MainWindow(modal_errors=False, background_loading=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    return win
