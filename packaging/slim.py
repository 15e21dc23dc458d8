"""Symbol tables out of the app's shared libraries (Linux), each library checked to still load,
and identical copies of a file linked to one.

Wheels and the Python they were built with ship many libraries with their full symbol tables
(``libpython`` alone carries 16 MiB of them). ``strip --strip-unneeded`` removes what the
dynamic loader never reads. PyInstaller's own ``strip=True`` strips every library and breaks
those that ``auditwheel`` patched with ``patchelf`` ("ELF load command address/offset not
page-aligned"), among them NumPy's and SciPy's OpenBLAS, so here every library is loaded before
and after stripping, in a separate process with the app's library path, and keeps its stripped
form only if it loads as it did before.

    python packaging/slim.py dist/ecgws        # what the spec runs after collecting the app
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

#: loads each library named on stdin, prints the ones that load (a crash loses only the rest)
_LOADER = """
import ctypes, os, sys
for line in sys.stdin:
    path = line.rstrip("\\n")
    try:
        ctypes.CDLL(path, mode=os.RTLD_LAZY | os.RTLD_LOCAL)
    except OSError:
        continue
    print(path, flush=True)
"""

#: a library whose stripping saves less than this is left alone
MIN_SAVING = 16 * 1024


def shared_libraries(folder: Path) -> list[Path]:
    """The ELF shared libraries under ``folder`` (not links, not the executables beside it)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if ".so" not in path.name:
            continue
        with path.open("rb") as handle:
            if handle.read(4) == b"\x7fELF":
                found.append(path)
    return found


def loadable(paths: list[Path], library_path: Path) -> set[Path]:
    """Those of ``paths`` the dynamic loader opens, with the app's folder on its search path."""
    if not paths:
        return set()
    environment = dict(os.environ)
    environment["LD_LIBRARY_PATH"] = os.pathsep.join(
        filter(None, [str(library_path), environment.get("LD_LIBRARY_PATH")]))
    result = subprocess.run([sys.executable, "-c", _LOADER], input="\n".join(map(str, paths)),
                            capture_output=True, text=True, env=environment, check=False)
    return {Path(line) for line in result.stdout.splitlines() if line}


def strip_libraries(app: Path, strip: str | None = None,
                    min_saving: int = MIN_SAVING) -> tuple[int, int, int]:
    """Strips the libraries of the one-folder app ``app`` that strip cleanly; returns (bytes
    saved, libraries stripped, libraries kept whole because their stripped form did not load)."""
    strip = strip or shutil.which("strip")
    if strip is None or not sys.platform.startswith("linux"):
        return 0, 0, 0
    internal = app / "_internal" if (app / "_internal").is_dir() else app
    candidates = sorted(loadable(shared_libraries(internal), internal))
    backups: dict[Path, Path] = {}
    saved = 0
    for path in candidates:
        stripped = path.with_name(path.name + ".stripped")
        done = subprocess.run([strip, "--strip-unneeded", "-o", str(stripped), str(path)],
                              capture_output=True, check=False)
        if done.returncode != 0 or path.stat().st_size - stripped.stat().st_size < min_saving:
            stripped.unlink(missing_ok=True)
            continue
        shutil.copymode(path, stripped)
        backup = path.with_name(path.name + ".whole")
        path.replace(backup)
        stripped.replace(path)
        backups[path] = backup
    still = loadable(list(backups), internal)
    kept_whole = 0
    for path, backup in backups.items():
        if path in still:
            saved += backup.stat().st_size - path.stat().st_size
            backup.unlink()
        else:
            backup.replace(path)
            kept_whole += 1
    return saved, len(backups) - kept_whole, kept_whole


def deduplicate(app: Path, min_size: int = 64 * 1024) -> int:
    """Files of the one-folder app ``app`` identical to another (wheels vendor the same
    libgfortran): each further copy becomes a relative link to the first. Returns the bytes
    saved. POSIX only (Windows links need privileges)."""
    if sys.platform.startswith("win"):
        return 0
    import hashlib

    first: dict[tuple[int, str], Path] = {}
    saved = 0
    for path in sorted(app.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.stat().st_size < min_size:
            continue
        key = (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
        original = first.setdefault(key, path)
        if original is path:
            continue
        saved += key[0]
        path.unlink()
        path.symlink_to(os.path.relpath(original, path.parent))
    return saved


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python packaging/slim.py APP_FOLDER", file=sys.stderr)
        return 2
    saved, stripped, whole = strip_libraries(Path(args[0]))
    print(f"stripped {stripped} libraries ({saved / 2**20:.1f} MiB); "
          f"{whole} kept whole (they did not load stripped)")
    print(f"{deduplicate(Path(args[0])) / 2**20:.1f} MiB of identical files linked to one copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
