"""Where the main window's parts sit: banner over paper, docks on the right and below, menus."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6 import QtCore, QtGui, QtWidgets

from workstation.ui.actions import ActionSpec, populate_menus


def lay_out(window: QtWidgets.QMainWindow, banner: QtWidgets.QWidget, paper: QtWidgets.QWidget, *,
            tabbed: Sequence[QtWidgets.QDockWidget], bottom: QtWidgets.QDockWidget) -> None:
    """Put the banner over the paper, the ``tabbed`` docks on the right and ``bottom`` below.

    The ``tabbed`` docks share one place, as tabs behind the first.
    """
    body = QtWidgets.QWidget()
    box = QtWidgets.QVBoxLayout(body)
    box.setContentsMargins(0, 0, 0, 0)
    box.setSpacing(0)
    box.addWidget(banner)
    box.addWidget(paper, 1)
    window.setCentralWidget(body)
    right = QtCore.Qt.DockWidgetArea.RightDockWidgetArea
    first, *others = tabbed
    window.addDockWidget(right, first)
    for dock in others:
        window.addDockWidget(right, dock)
        window.tabifyDockWidget(first, dock)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, bottom)


def add_menus(window: QtWidgets.QMainWindow, specs: tuple[ActionSpec, ...],
              actions: Mapping[str, QtGui.QAction],
              view_docks: Sequence[QtWidgets.QDockWidget]) -> QtWidgets.QToolBar:
    """The menus and the toolbar of ``specs``; the View menu also toggles ``view_docks``."""
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    populate_menus(window.menuBar(), toolbar, specs, dict(actions))
    view_menu = next(m for m in window.menuBar().findChildren(QtWidgets.QMenu) if m.title() == "&View")
    for dock in view_docks:
        view_menu.addAction(dock.toggleViewAction())
    return toolbar
