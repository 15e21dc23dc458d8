"""Qt's ICU data in the app, trimmed to the locales the workstation speaks (Linux).

PySide6's Qt links ICU, whose data library (``libicudata.so.73``) is 31 MiB: every locale's
names of languages, regions, currencies, units and time zones, legacy code-page converters and
transliterators. Qt formats numbers and dates from its own locale tables; from ICU it takes
collation (sorting), case mapping, text boundaries and time-zone names. This keeps, of ICU's
data, the root and English locales, every language's collation (so that lists sort as each
language sorts), the break-iteration rules and dictionaries, and all the supplemental and
normalisation data; it leaves out the other locales' display names, the converters (Qt converts
UTF-8, UTF-16 and Latin-1 itself) and the transliterators. The result is about 11 MiB.

    python packaging/icu.py dist/ecgws        # what the spec runs after collecting the app

It takes the data out of the bundled library, removes items with ICU's own ``icupkg``, turns
the package back into a library with ``genccode`` and the C compiler, and checks that the new
library exports the data under the same name and loads. Without those tools (Debian:
``icu-devtools``), or on another system, the app keeps the full library.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

#: a locale's own resource (``de.res``, ``en_GB.res``, ``sr_Latn_BA.res``, ``de_.res``)
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]*)*\.res$")
#: the locales kept in every tree but the collation tree (which keeps all)
KEPT_LOCALES = ("root", "en")
#: trees of which only the index and the root are kept
DROPPED_TREES = ("translit",)


def kept(item: str) -> bool:
    """Whether the ICU data item ``item`` (``coll/de.res``, ``ibm-1047_P100-1995.cnv``) stays."""
    tree, _, name = item.rpartition("/")
    if name.endswith(".cnv"):
        return False
    if tree in DROPPED_TREES:
        return name in ("root.res", "res_index.res", "pool.res")
    if tree == "coll" or name == "res_index.res" or not _LOCALE.match(name):
        return True
    locale = name.removesuffix(".res")
    return locale in KEPT_LOCALES or locale.startswith("en_")


def _tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")


def _blob(library: Path, symbol: str) -> bytes:
    """The bytes of ``symbol`` in the ELF shared object ``library`` (64-bit little-endian)."""
    listing = subprocess.run(["nm", "-D", "-S", "--defined-only", str(library)], capture_output=True,
                             text=True, check=True).stdout
    match = re.search(rf"^([0-9a-f]+) ([0-9a-f]+) \w {re.escape(symbol)}$", listing, re.M)
    if match is None:
        raise ValueError(f"{library.name}: no symbol {symbol}")
    address, size = int(match.group(1), 16), int(match.group(2), 16)
    data = library.read_bytes()
    if data[:6] != b"\x7fELF\x02\x01":
        raise ValueError(f"{library.name}: not a 64-bit little-endian ELF file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    entry_size, count = struct.unpack_from("<HH", data, 0x36)
    for k in range(count):
        kind, _, offset, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", data, phoff + k * entry_size)
        if kind == 1 and vaddr <= address and address + size <= vaddr + filesz:  # PT_LOAD
            start = offset + address - vaddr
            return data[start:start + size]
    raise ValueError(f"{library.name}: {symbol} is in no loaded segment")


def trimmed_library(library: Path, folder: Path) -> Path:
    """A trimmed copy of ICU's data library ``library``, written in ``folder``."""
    version = re.fullmatch(r"libicudata\.so\.(\d+)(\..*)?", library.name)
    tools = {name: _tool(name) for name in ("icupkg", "genccode", "nm")}
    compiler = _tool("cc") or _tool("gcc")
    if version is None or compiler is None or None in tools.values():
        raise FileNotFoundError("icupkg, genccode (icu-devtools), nm or a C compiler not found")
    major = version.group(1)
    package = folder / f"icudt{major}l.dat"
    package.write_bytes(_blob(library, f"icudt{major}_dat"))
    items = subprocess.run([tools["icupkg"], "-l", str(package)], capture_output=True, text=True,
                           check=True).stdout.split()
    dropped = folder / "dropped.txt"
    dropped.write_text("".join(f"{item}\n" for item in items if not kept(item)))
    out = folder / "out"
    out.mkdir()
    subprocess.run([tools["icupkg"], "-r", str(dropped), str(package), str(out / package.name)],
                   capture_output=True, check=True)
    subprocess.run([tools["genccode"], "-a", "gcc", "-e", f"icudt{major}", "-d", str(folder),
                    str(out / package.name)], capture_output=True, check=True)
    soname = f"libicudata.so.{major}"
    result = folder / soname
    subprocess.run([compiler, "-shared", "-o", str(result), f"-Wl,-soname,{soname}",
                    "-Wl,-z,noexecstack", str(folder / f"icudt{major}l_dat.S")],
                   capture_output=True, check=True)
    if _blob(result, f"icudt{major}_dat")[:16] != package.read_bytes()[:16]:
        raise ValueError("the trimmed library does not carry ICU's data header")
    return result


def trim_icu(app: Path) -> tuple[int, str]:
    """Trims the ICU data library of the one-folder app ``app``; (bytes saved, what was done)."""
    if not sys.platform.startswith("linux"):
        return 0, "ICU data kept whole (Linux only)"
    found = [p for p in app.rglob("libicudata.so*") if p.is_file() and not p.is_symlink()]
    if not found:
        return 0, "no ICU data library in the app"
    library = found[0]
    with tempfile.TemporaryDirectory(prefix="ecgws-icu-") as scratch:
        try:
            result = trimmed_library(library, Path(scratch))
        except (FileNotFoundError, ValueError, subprocess.CalledProcessError) as exc:
            return 0, f"ICU data kept whole ({exc})"
        import ctypes

        try:
            ctypes.CDLL(str(result))
        except OSError as exc:
            return 0, f"ICU data kept whole (the trimmed library did not load: {exc})"
        saved = library.stat().st_size - result.stat().st_size
        shutil.copymode(library, result)
        shutil.move(str(result), str(library))
    return saved, f"ICU data trimmed to the root and English locales ({saved / 2**20:.1f} MiB less)"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python packaging/icu.py APP_FOLDER", file=sys.stderr)
        return 2
    print(trim_icu(Path(args[0]))[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
