"""The desktop app's build steps that make it smaller (packaging/): the ICU data kept, the
libraries stripped only where they still load, identical files linked, OpenCV's wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
sys.path.insert(0, str(PACKAGING))

import icu  # noqa: E402
import opencv  # noqa: E402
import slim  # noqa: E402

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux build steps")


@pytest.mark.parametrize(("item", "stays"), [
    ("root.res", True), ("en.res", True), ("en_GB.res", True), ("de.res", False),
    ("sr_Latn_BA.res", False), ("de_.res", False), ("pool.res", True), ("res_index.res", True),
    ("supplementalData.res", True), ("zoneinfo64.res", True), ("ucadata.icu", True),
    ("coll/de.res", True), ("coll/sv.res", True), ("coll/root.res", True),
    ("unit/de.res", False), ("unit/en.res", True), ("zone/fr.res", False), ("lang/root.res", True),
    ("brkitr/thaidict.dict", True), ("brkitr/de.res", False), ("brkitr/word.brk", True),
    ("ibm-1047_P100-1995.cnv", False), ("translit/el_Latn_BGN.res", False),
    ("translit/root.res", True),
])
def test_the_icu_data_keeps_root_english_and_every_collation(item, stays):
    assert icu.kept(item) is stays


def _tiny_library(folder: Path) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build a library with")
    source = folder / "tiny.c"
    source.write_text("int tiny_answer(void) { return 42; }\nstatic int unused_helper(void) { return 1; }\n")
    library = folder / "app" / "_internal" / "libtiny.so"
    library.parent.mkdir(parents=True)
    subprocess.run([compiler, "-shared", "-fPIC", "-g", "-o", str(library), str(source)], check=True)
    return library


@linux
def test_a_library_is_stripped_when_it_still_loads(tmp_path):
    if shutil.which("strip") is None:
        pytest.skip("no strip")
    library = _tiny_library(tmp_path)
    before = library.stat().st_size
    saved, stripped, whole = slim.strip_libraries(tmp_path / "app", min_saving=1)
    assert stripped == 1 and whole == 0 and saved == before - library.stat().st_size > 0
    assert slim.loadable([library], library.parent) == {library}


@linux
def test_a_library_that_no_longer_loads_stripped_is_kept_whole(tmp_path):
    library = _tiny_library(tmp_path)
    original = library.read_bytes()
    breaker = tmp_path / "breaking-strip"  # writes an ELF header and nothing else
    breaker.write_text("#!/bin/sh\nout=\"$3\"\nprintf '\\177ELF' > \"$out\"\n")
    breaker.chmod(0o755)
    saved, stripped, whole = slim.strip_libraries(tmp_path / "app", strip=str(breaker), min_saving=1)
    assert (saved, stripped, whole) == (0, 0, 1)
    assert library.read_bytes() == original
    assert not list(library.parent.glob("*.whole")) and not list(library.parent.glob("*.stripped"))


def test_identical_files_are_linked_to_one_copy(tmp_path):
    if sys.platform.startswith("win"):
        pytest.skip("POSIX links")
    data = os.urandom(100_000)
    for folder in ("numpy.libs", "scipy.libs"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "libgfortran.so.5").write_bytes(data)
    (tmp_path / "scipy.libs" / "other.so").write_bytes(os.urandom(100_000))
    assert slim.deduplicate(tmp_path) == 100_000
    copy = tmp_path / "scipy.libs" / "libgfortran.so.5"
    assert copy.is_symlink() and copy.read_bytes() == data
    assert os.readlink(copy) == os.path.join("..", "numpy.libs", "libgfortran.so.5")
    assert not (tmp_path / "scipy.libs" / "other.so").is_symlink()


@linux
def test_the_trimmed_icu_data_still_sorts_and_cases_every_language(tmp_path):
    import PySide6

    found = sorted(Path(PySide6.__file__).parent.rglob("libicudata.so.*"))
    if not found:
        pytest.skip("this PySide6 has no ICU data library")
    try:
        trimmed = icu.trimmed_library(found[0], tmp_path)
    except FileNotFoundError as exc:
        pytest.skip(f"ICU's tools are not installed: {exc}")
    assert trimmed.stat().st_size < 0.5 * found[0].stat().st_size
    script = ("import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
              "from PySide6.QtCore import QCollator, QLocale\n"
              "words = ['z', 'ö', 'a', 'o']\n"
              "print(sorted(words, key=QCollator(QLocale('sv_SE')).sortKey),"
              " sorted(words, key=QCollator(QLocale('de_DE')).sortKey),"
              " QLocale('tr_TR').toUpper('istanbul'))\n")
    def run(preload):
        env = dict(os.environ, LD_PRELOAD=str(preload)) if preload else dict(os.environ)
        return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=env, check=True).stdout
    assert run(trimmed) == run(None)
    assert "['a', 'o', 'z', 'ö']" in run(trimmed)  # Swedish sorts ö after z


def test_the_opencv_wheel_is_pypis_name_with_a_local_label(tmp_path):
    pytest.importorskip("wheel")
    version = opencv.release()
    assert "+" not in version
    package = tmp_path / "install" / "cv2"
    (package / "python-3").mkdir(parents=True)
    (package / "__init__.py").write_text("# loader\n")
    (package / "python-3" / "cv2.abi3.so").write_bytes(b"\x7fELF not really")
    source = tmp_path / "src" / "opencv_python_headless-x"
    source.mkdir(parents=True)
    (source / "LICENSE.txt").write_text("Apache-2.0\n")
    wheel = opencv.pack(package, tmp_path, version, tmp_path)
    assert wheel.name == opencv.wheel_name(version) and wheel.exists()
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"opencv_python_headless-{version}+minimal.dist-info"
        assert {"cv2/__init__.py", "cv2/python-3/cv2.abi3.so", f"{info}/METADATA",
                f"{info}/WHEEL", f"{info}/RECORD", f"{info}/LICENSE.txt"} <= names
        metadata = archive.read(f"{info}/METADATA").decode()
    assert "Name: opencv-python-headless" in metadata and f"Version: {version}+minimal" in metadata


def test_opencv_builds_every_module_the_workstation_calls():
    # the workstation's and rapidocr's cv2 calls live in these modules (see packaging/opencv.py)
    assert {"core", "imgproc", "imgcodecs", "geometry", "python3"} <= set(opencv.MODULES)
    assert opencv.OPTIONS["WITH_FFMPEG"] == "OFF" and opencv.OPTIONS["WITH_LAPACK"] == "OFF"


def _local_index(root, payload: bytes, digest: str):
    """A PEP 503 index in ``root`` listing one source distribution of OpenCV."""
    name = "opencv_python_headless-5.1.0.95.tar.gz"
    (root / "files").mkdir()
    (root / "files" / name).write_bytes(payload)
    page = root / "simple" / "opencv-python-headless"
    page.mkdir(parents=True)
    (page / "index.html").write_text(
        f'<html><body><a href="../../files/{name}#sha256={digest}">{name}</a><br/></body></html>')
    return (root / "simple").as_uri(), name


def test_the_opencv_source_comes_from_the_index_pip_uses_checked_by_its_sha256(tmp_path, monkeypatch):
    import hashlib

    payload = b"not really a tarball"
    index, name = _local_index(tmp_path, payload, hashlib.sha256(payload).hexdigest())
    monkeypatch.setenv("PIP_INDEX_URL", index)
    out = tmp_path / "out"
    out.mkdir()
    path = opencv.fetch_source("5.1.0.95", out)
    assert path == out / name and path.read_bytes() == payload
    assert opencv.fetch_source("5.1.0.95", out) == path  # already there: not fetched again
    with pytest.raises(SystemExit, match="no source distribution"):
        opencv.fetch_source("4.0.0.0", out)


def test_an_opencv_source_whose_sha256_differs_is_not_built(tmp_path, monkeypatch):
    index, _ = _local_index(tmp_path, b"tampered", "0" * 64)
    monkeypatch.setenv("PIP_INDEX_URL", index)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(SystemExit, match="SHA-256 differs"):
        opencv.fetch_source("5.1.0.95", out)
    assert not list(out.iterdir())  # nothing half-downloaded is left
