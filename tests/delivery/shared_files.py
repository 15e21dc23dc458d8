"""Every ECG in the shared data folder that the exports are checked on: LUDB, the PTB-XL
records, the images' ground-truth records and every device file (the format samples)."""

from __future__ import annotations

from pathlib import Path

_NOT_ECG = ("license", "readme", "copying", "annotators", "records", "sha256")
_COMPANIONS = (".dat", ".mat", ".ecgpuwave", ".md", ".txt", ".csv", ".json", ".png", ".jpg",
               ".jpeg", ".pdf", ".avf", ".avl", ".avr", ".i", ".ii", ".iii", ".v1", ".v2", ".v3",
               ".v4", ".v5", ".v6", ".atr")


def shared_ecg_files(root: Path) -> list[Path]:
    """The records (``.hea`` headers stand for WFDB records) and device files under ``root``."""
    if not root.is_dir():
        return []
    files = []
    for path in sorted(root.rglob("*")):
        name = path.name.lower()
        if not path.is_file() or name.startswith(_NOT_ECG) or path.suffix.lower() in _COMPANIONS:
            continue
        if "images" in path.relative_to(root).parts and path.suffix.lower() != ".hea":
            continue  # scans and photos are digitised, not exported
        files.append(path)
    return files
