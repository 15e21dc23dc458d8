"""The Qt layer: main window, ECG paper view, actions, dialogs (PySide6 + pyqtgraph)."""

from workstation.ui import pyside_compat as _pyside_compat

_pyside_compat.install()
