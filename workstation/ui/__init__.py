"""The Qt layer: main window, ECG paper view, actions, dialogs (PySide6 + pyqtgraph)."""
