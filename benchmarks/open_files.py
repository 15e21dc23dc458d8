"""How long opening ECG files takes: a 10 s 12-lead record, every shared format, a 24 h Holter.

Run: ``.venv/bin/python benchmarks/open_files.py`` (``make bench``). Prints milliseconds.
The Holter (2 leads, 250 Hz, WFDB format 212, 24 h = 21.6 M samples per lead) is synthesised
into a temporary folder on first use and cached under ``benchmarks/.cache``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import wfdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from resources import sample_ecg_path  # noqa: E402
from workstation.io import ECGReadError, iter_ecg_files, read_ecg  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
SHARED = ROOT.parent / "shared" / "data"


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    """Median and max wall time of ``fn()`` in ms."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def holter_path(hours: float = 24.0, fs: int = 250) -> Path:
    """A synthetic two-lead Holter with a beat-like waveform at 70 bpm plus noise."""
    path = CACHE / "holter24.hea"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    n = int(hours * 3600 * fs)
    t = np.arange(n, dtype=np.float64) / fs
    phase = (t * 70 / 60) % 1.0
    qrs = np.exp(-((phase - 0.3) ** 2) / (2 * 0.012 ** 2))
    twave = 0.25 * np.exp(-((phase - 0.6) ** 2) / (2 * 0.05 ** 2))
    rng = np.random.default_rng(0)
    lead = (qrs + twave + 0.02 * rng.standard_normal(n)).astype(np.float64)
    signal = np.stack([lead, 0.6 * lead]).T
    wfdb.wrsamp("holter24", fs=fs, units=["mV", "mV"], sig_name=["MLII", "V5"], p_signal=signal,
                fmt=["212", "212"], adc_gain=[200, 200], baseline=[0, 0], write_dir=str(CACHE))
    return path


def main() -> None:
    sample = sample_ecg_path()
    med, worst = timed(lambda: read_ecg(sample).signals)
    print(f"open 10 s 12-lead WFDB sample (with 12 annotation files): median {med:.1f} ms, max {worst:.1f} ms")

    from pydicom.data import get_testdata_file

    dcm = get_testdata_file("waveform_ecg.dcm")
    med, worst = timed(lambda: read_ecg(dcm).signals)
    print(f"open 10 s 12-lead DICOM (1000 Hz):                         median {med:.1f} ms, max {worst:.1f} ms")

    if (SHARED / "formats").is_dir():
        for path in iter_ecg_files(SHARED / "formats"):
            try:
                med, _ = timed(lambda: read_ecg(path).signals, repeat=3)
                print(f"  {path.relative_to(SHARED)}: {med:.1f} ms")
            except ECGReadError as exc:
                print(f"  {path.relative_to(SHARED)}: refused ({exc.problem})")

    start = time.perf_counter()
    holter = holter_path()
    print(f"synthesised 24 h Holter in {time.perf_counter() - start:.1f} s (cached afterwards)")
    med, worst = timed(lambda: read_ecg(holter), repeat=3)
    record = read_ecg(holter)
    print(f"open 24 h 2-lead Holter (lazy, {record.n_samples:,} samples/lead): "
          f"median {med:.1f} ms, max {worst:.1f} ms")
    rng = np.random.default_rng(1)
    starts = rng.integers(0, record.n_samples - 2500, size=50)
    med, worst = timed(lambda: [record.window(s, s + 2500) for s in starts[:10]], repeat=5)
    print(f"read a 10 s window of the Holter: median {med / 10:.2f} ms, max {worst / 10:.2f} ms")


if __name__ == "__main__":
    main()
