"""Files the installed program needs at run time, found with importlib.resources.

Going through :mod:`importlib.resources` (never ``__file__`` arithmetic) keeps them reachable
from an installed wheel and from a frozen PyInstaller build alike.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

SAMPLE_RECORD = "ludb_2"


def resource_path(*parts: str) -> Path:
    """Filesystem path of a bundled resource (``resource_path("sample", "ludb_2.hea")``)."""
    traversable = files(__name__).joinpath(*parts)
    with as_file(traversable) as path:  # a real directory for regular and frozen installs
        return Path(path)


def sample_ecg_path() -> Path:
    """The bundled sample 12-lead ECG (LUDB record 2, WFDB header)."""
    return resource_path("sample", f"{SAMPLE_RECORD}.hea")
