"""The desktop app's OpenCV: the release of ``opencv-python-headless`` this environment has,
built from its source distribution with only what the workstation and its OCR call.

PyPI's wheel is 172 MiB in the app: every OpenCV module, video I/O with FFmpeg and its AV1/VP9
codecs (45 MiB), and OpenBLAS for LAPACK (39 MiB). The workstation reads still images and calls
``core``, ``imgproc``, ``imgcodecs`` and ``geometry`` (contours, rotated rectangles, perspective
transforms; it needs ``flann``). Built with those alone, without video I/O, LAPACK, IPP, OpenCL,
protobuf or OpenEXR, the module is 25 MiB.

    python packaging/opencv.py --out build/opencv            # build (about 10 min on 2 cores)
    python packaging/opencv.py --out build/opencv --install  # and install it over PyPI's wheel

The result is a wheel of the same name and release with the local label ``+minimal``
(``opencv_python_headless-5.1.0.95+minimal-cp37-abi3-linux_x86_64.whl``), so pip, and
rapidocr's requirement on ``opencv-python-headless``, see an ordinary install. A second run
with a wheel of the same release in ``--out`` builds nothing. The source comes from the package
index pip uses (``PIP_INDEX_URL``, default PyPI; its JSON or its HTML pages), checked
against the index's SHA-256.

Needs CMake 3.16+, Ninja (or Make) and a C++17 compiler (the ``packaging`` extra installs
CMake and Ninja from PyPI). No Intel IPP: the workstation turns IPP off in every install so
that an image gives the same pixels with this build and with PyPI's wheels
(:mod:`workstation.scan`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "opencv-python-headless"
LOCAL_LABEL = "minimal"

#: the OpenCV modules built (``flann`` because ``geometry`` links it; the Python bindings'
#: generator because ``python3`` needs it)
MODULES = ("core", "imgproc", "imgcodecs", "geometry", "flann", "python3", "python_bindings_generator")

#: what is left out, and the image formats kept (PNG, JPEG, TIFF, WebP, BMP and the other
#: built-in ones), from the libraries' sources in OpenCV's tree, linked statically
OPTIONS = {
    "BUILD_SHARED_LIBS": "OFF", "BUILD_TESTS": "OFF", "BUILD_PERF_TESTS": "OFF",
    "BUILD_EXAMPLES": "OFF", "BUILD_DOCS": "OFF", "BUILD_opencv_apps": "OFF", "BUILD_JAVA": "OFF",
    "BUILD_opencv_python2": "OFF", "BUILD_opencv_python3": "ON", "PYTHON3_LIMITED_API": "ON",
    "OPENCV_PYTHON3_INSTALL_PATH": "python",
    "WITH_FFMPEG": "OFF", "WITH_GSTREAMER": "OFF", "WITH_V4L": "OFF", "WITH_1394": "OFF",
    "WITH_OBSENSOR": "OFF", "WITH_GTK": "OFF", "WITH_QT": "OFF", "WITH_OPENCL": "OFF",
    "WITH_VA": "OFF", "WITH_VA_INTEL": "OFF", "WITH_LAPACK": "OFF", "WITH_EIGEN": "OFF",
    "WITH_IPP": "OFF", "WITH_ITT": "OFF", "WITH_PROTOBUF": "OFF", "WITH_TBB": "OFF",
    "WITH_OPENMP": "OFF", "WITH_OPENEXR": "OFF", "WITH_AVIF": "OFF", "WITH_JASPER": "OFF",
    "WITH_OPENJPEG": "OFF", "WITH_FASTCV": "OFF", "WITH_KLEIDICV": "OFF",
    "WITH_TIFF": "ON", "WITH_WEBP": "ON", "BUILD_ZLIB": "ON", "BUILD_PNG": "ON",
    "BUILD_JPEG": "ON", "BUILD_TIFF": "ON", "BUILD_WEBP": "ON",
    "CMAKE_BUILD_TYPE": "Release",
}


def release() -> str:
    """The release of OpenCV's wheel in this environment (``5.1.0.95``), without a local label."""
    return metadata.version(DISTRIBUTION).split("+")[0]


def wheel_name(version: str) -> str:
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"opencv_python_headless-{version}+{LOCAL_LABEL}-cp37-abi3-{platform}.whl"


def index_files(index: str, project: str = DISTRIBUTION) -> list[dict]:
    """The files a simple package index (PEP 503 pages, or PEP 691 JSON where it serves it;
    an ``https://`` or a local ``file://`` index) lists for ``project``: each with its
    ``filename``, ``url`` and ``hashes`` (the SHA-256 the page's link carries)."""
    page = f"{index.rstrip('/')}/{project}/"
    if page.startswith("file://"):
        local = Path(urllib.request.url2pathname(urllib.parse.urlparse(page).path))
        if local.is_dir():
            page = (local / "index.html").as_uri()
    request = urllib.request.Request(page, headers={
        "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
        kind = response.headers.get("Content-Type", "") or ""
    if "json" in kind:
        return json.loads(body)["files"]
    links = _Links()
    links.feed(body.decode("utf-8", errors="replace"))
    files = []
    for href, text in links.found:
        url, _, fragment = urllib.parse.urljoin(page, href).partition("#")
        algorithm, _, digest = fragment.partition("=")
        files.append({"filename": text.strip() or url.rsplit("/", 1)[-1], "url": url,
                      "hashes": {algorithm: digest} if digest else {}})
    return files


class _Links(HTMLParser):
    """The (href, text) of every link of a simple index page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")
            self.found.append((self._href or "", ""))

    def handle_data(self, data: str) -> None:
        if self._href is not None and self.found:
            href, text = self.found[-1]
            self.found[-1] = (href, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None


def fetch_source(version: str, folder: Path) -> Path:
    """The release's source distribution from the package index pip uses (``PIP_INDEX_URL``,
    default PyPI), checked by the SHA-256 the index gives."""
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    files = index_files(index)
    name = f"{DISTRIBUTION.replace('-', '_')}-{version}.tar.gz"
    try:
        entry = next(f for f in files if f["filename"] == name)
    except StopIteration:
        raise SystemExit(f"{index}: no source distribution {name}") from None
    if "sha256" not in entry.get("hashes", {}):
        raise SystemExit(f"{index}: {name} is listed without a SHA-256; not built")
    path = folder / name
    if not path.exists() or _sha256(path) != entry["hashes"]["sha256"]:
        print(f"downloading {name}", flush=True)
        partial = path.with_suffix(".part")
        with urllib.request.urlopen(entry["url"], timeout=600) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
        if _sha256(partial) != entry["hashes"]["sha256"]:
            partial.unlink()
            raise SystemExit(f"{name}: SHA-256 differs from the index's; not built")
        partial.replace(path)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tool(name: str) -> str:
    """A build tool from this environment's scripts (pip's ``cmake``, ``ninja``) or the PATH."""
    found = shutil.which(name, path=os.pathsep.join([sysconfig.get_path("scripts"),
                                                     os.environ.get("PATH", "")]))
    if found is None:
        raise SystemExit(f"{name} not found: pip install cmake ninja (the packaging extra)")
    return found


def build(source: Path, folder: Path) -> Path:
    """Configures, compiles and installs OpenCV into ``folder/install``; its ``python/cv2``."""
    root = folder / "src"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    with tarfile.open(source) as archive:
        archive.extractall(root, filter="data")
    tree = next(root.glob("*/opencv"))
    work, install = folder / "cmake", folder / "install"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(install, ignore_errors=True)
    python = {"PYTHON3_EXECUTABLE": sys.executable,
              "PYTHON3_INCLUDE_DIR": sysconfig.get_paths()["include"],
              "PYTHON3_LIBRARY": str(Path(sysconfig.get_config_var("LIBDIR") or "")
                                     / (sysconfig.get_config_var("LDLIBRARY") or ""))}
    options = {**OPTIONS, **python, "BUILD_LIST": ",".join(MODULES),
               "CMAKE_INSTALL_PREFIX": str(install),
               "CMAKE_SHARED_LINKER_FLAGS": "-Wl,--strip-all" if sys.platform.startswith("linux") else "",
               "CMAKE_MODULE_LINKER_FLAGS": "-Wl,--strip-all" if sys.platform.startswith("linux") else ""}
    generator = ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={_tool('ninja')}"] if _has("ninja") else []
    if not (_has("c++") or _has("g++") or _has("clang++")):
        raise SystemExit("no C++ compiler (c++, g++ or clang++) to build OpenCV with")
    cmake = _tool("cmake")
    log = folder / "build.log"
    print(f"building OpenCV ({', '.join(MODULES[:5])}) in {work}; its output goes to {log}",
          flush=True)
    with log.open("w") as output:
        for step in ([cmake, "-S", str(tree), "-B", str(work), *generator,
                      *(f"-D{key}={value}" for key, value in options.items())],
                     [cmake, "--build", str(work), "--parallel", str(os.cpu_count() or 2)],
                     [cmake, "--install", str(work)]):
            if subprocess.run(step, stdout=output, stderr=subprocess.STDOUT, check=False).returncode:
                tail = log.read_text(errors="replace").splitlines()[-40:]
                raise SystemExit("\n".join([*tail, f"OpenCV's build failed: {log}"]))
    package = install / "python" / "cv2"
    if not any(package.rglob("cv2*.so")) and not any(package.rglob("cv2*.pyd")):
        raise SystemExit(f"{package}: the build made no Python module")
    return package


def _has(name: str) -> bool:
    try:
        _tool(name)
    except SystemExit:
        return False
    return True


def pack(package: Path, source_root: Path, version: str, folder: Path) -> Path:
    """A wheel of ``package`` (the built ``cv2``) under PyPI's name, release ``+minimal``."""
    stage = folder / "wheel"
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(package, stage / "cv2")
    full = f"{version}+{LOCAL_LABEL}"
    info = stage / f"opencv_python_headless-{full}.dist-info"
    info.mkdir()
    for license_file in ("LICENSE.txt", "LICENSE-3RD-PARTY.txt"):
        found = next(source_root.glob(f"src/*/{license_file}"), None)
        if found is not None:
            shutil.copy(found, info / license_file)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\n"
        f"Name: {DISTRIBUTION}\nVersion: {full}\n"
        "Summary: OpenCV's core, imgproc, imgcodecs and geometry modules, without video I/O "
        "(built for the ECG Workstation app by packaging/opencv.py)\n"
        "License: Apache-2.0\nRequires-Python: >=3.7\nRequires-Dist: numpy>=2\n")
    tag = wheel_name(version).rsplit("-", 3)
    (info / "WHEEL").write_text(
        "Wheel-Version: 1.0\nGenerator: ecgws packaging/opencv.py\nRoot-Is-Purelib: false\n"
        f"Tag: {tag[1]}-{tag[2]}-{tag[3].removesuffix('.whl')}\n")
    subprocess.run([sys.executable, "-m", "wheel", "pack", str(stage), "--dest-dir", str(folder)],
                   check=True, stdout=subprocess.DEVNULL)
    return folder / wheel_name(version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/opencv"),
                        help="folder for the source, the build and the wheel")
    parser.add_argument("--install", action="store_true",
                        help="install the wheel into this environment over PyPI's")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    version = release()
    wheel = args.out / wheel_name(version)
    if wheel.exists():
        print(f"{wheel} exists: not built again", flush=True)
    else:
        source = fetch_source(version, args.out)
        package = build(source, args.out)
        wheel = pack(package, args.out, version, args.out)
        print(f"built {wheel} ({wheel.stat().st_size / 2**20:.1f} MiB)", flush=True)
    if args.install:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--force-reinstall", str(wheel)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
