"""Format registry: sniff a file's format, pick its reader, and refuse bad input clearly.

Each reader module exposes ``SPEC``, a :class:`ReaderSpec`. :func:`read_ecg` is the one
entry point used by the CLI and the UI: it resolves WFDB record names, sniffs the content
(not just the extension), runs the reader, converts any failure into an
:class:`~workstation.io.errors.ECGReadError` naming the file, and rejects implausible signals.
"""

from __future__ import annotations

import functools
import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from workstation.core.record import ECGRecord, check_plausible
from workstation.io.errors import ECGReadError

HEAD_BYTES = 4096

#: Reader modules, in sniffing order (most specific first).
_READER_MODULES = (
    "workstation.io.wfdb_io",
    "workstation.io.dicom",
    "workstation.io.muse",
    "workstation.io.philips",
    "workstation.io.aecg",
    "workstation.io.scp",
    "workstation.io.edf",
    "workstation.io.csv_io",
    "workstation.io.image",
)


@dataclass(frozen=True)
class ReaderSpec:
    """How to recognise and read one file format."""

    name: str  # shown to users: "GE MUSE XML"
    extensions: tuple[str, ...]  # lower-case, with dot: (".xml",)
    sniff: Callable[[Path, bytes], bool]  # (path, first HEAD_BYTES bytes) -> is it mine?
    read: Callable[[Path], ECGRecord]  # may raise anything; the registry wraps it
    check_amplitude: bool = True  # set False where reading every sample is too costly


@functools.lru_cache(maxsize=1)
def readers() -> tuple[ReaderSpec, ...]:
    """All available readers (a reader whose module is absent from this build is skipped)."""
    specs = []
    for module_name in _READER_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # not written yet / not installed in this build
            raise
        specs.append(module.SPEC)
    return tuple(specs)


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """Accept a WFDB record named by its path without extension (``data/100`` -> ``100.hea``)."""
    p = Path(path)
    if not p.exists() and p.with_name(p.name + ".hea").exists():
        return p.with_name(p.name + ".hea")
    return p


def detect_reader(path: Path, head: bytes) -> ReaderSpec | None:
    """The reader whose sniffer accepts the file, or None."""
    for spec in readers():
        try:
            if spec.sniff(path, head):
                return spec
        except Exception:  # a sniffer must never take the program down
            continue
    return None


def read_ecg(path: str | os.PathLike[str]) -> ECGRecord:
    """Read any supported ECG file.

    Raises
    ------
    ECGReadError
        With the file name and a one-line reason, for every kind of failure.
    """
    p = resolve_path(path)
    if not p.exists():
        raise ECGReadError(p, "no such file")
    if p.is_dir():
        raise ECGReadError(p, "is a folder, not an ECG file")
    try:
        with p.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise ECGReadError(p, f"cannot be opened ({exc.strerror or exc})") from exc
    if not head:
        raise ECGReadError(p, "file is empty")
    spec = detect_reader(p, head)
    if spec is None:
        raise ECGReadError(p, "not a recognised ECG format (" + supported_formats_text() + ")")
    try:
        record = spec.read(p)
    except ECGReadError:
        raise
    except MemoryError as exc:
        raise ECGReadError(p, f"{spec.name}: declares more data than can be held") from exc
    except Exception as exc:  # noqa: BLE001 - every failure becomes one clear message
        raise ECGReadError(p, f"damaged or unsupported {spec.name} file: {_describe(exc)}") from exc
    problems = check_plausible(record, check_amplitude=spec.check_amplitude)
    if problems:
        raise ECGReadError(p, f"{spec.name}: " + "; ".join(problems))
    return record.in_standard_order()


def supported_formats_text() -> str:
    return "supported: " + ", ".join(spec.name for spec in readers())


def iter_ecg_files(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Every file under ``folder`` that some reader recognises, in sorted order.

    WFDB records are listed once, by their ``.hea`` file.
    """
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            p = Path(root) / name
            try:
                with p.open("rb") as fh:
                    head = fh.read(HEAD_BYTES)
            except OSError:
                continue
            if head and detect_reader(p, head) is not None:
                yield p


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 300 else text[:297] + "..."
