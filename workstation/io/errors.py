"""The one error type every reader raises."""

from __future__ import annotations

from pathlib import Path


class ECGReadError(Exception):
    """A file could not be read as an ECG. The message names the file and the problem.

    Readers raise only this; the CLI prints ``str(error)`` on one line and the UI shows it
    in a dialog.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = " ".join(str(problem).split())  # one line, always
        super().__init__(f"{self.path}: {self.problem}")
