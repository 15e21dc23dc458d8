"""How long delineation takes: a 10 s 12-lead record (ours and the peers) and a 24 h Holter.

Run: ``.venv/bin/python benchmarks/delineation_speed.py [--skip-holter]``.
Prints milliseconds per 10 s 12-lead 500 Hz record (median of repeated runs after a
warm-up) for our model (its ONNX export under ONNX Runtime, as the workstation runs it),
NeuroKit2 and ecgdeli (when installed), then the wall time and the peak resident memory of
delineating the synthetic 24 h two-lead 250 Hz Holter of ``benchmarks/open_files.py`` (read
lazily, window by window). Imports no torch.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import onnxruntime  # noqa: E402

from inference.delineation.peers import Peer, run_peer  # noqa: E402
from inference.delineation.predict import default_delineator  # noqa: E402
from open_files import holter_path  # noqa: E402
from resources import sample_ecg_path  # noqa: E402
from workstation.core.delineation import WaveKind  # noqa: E402
from workstation.io import read_ecg  # noqa: E402


def median_ms(fn, repeat: int) -> tuple[float, float]:
    """Median and minimum wall time of ``fn()`` in ms."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def bench_resting(repeat: int) -> None:
    record = read_ecg(sample_ecg_path())
    record.signals  # noqa: B018 - load before timing: delineation, not file reading, is timed
    delineator = default_delineator()
    for _ in range(3):
        delineator.delineate(record)  # warm-up: first calls allocate and pick kernels
    med, best = median_ms(lambda: delineator.delineate(record), repeat)
    print(f"ours       10 s 12-lead 500 Hz: median {med:7.1f} ms, best {best:7.1f} ms "
          f"(ONNX Runtime {onnxruntime.__version__}, CPU)")
    for peer in Peer:
        if not peer.available():
            print(f"{peer.value:<10} skipped: not installed ({peer.pip_command})")
            continue
        run_peer(peer, record)
        med, best = median_ms(lambda: run_peer(peer, record), max(3, repeat // 5))
        print(f"{peer.value:<10} 10 s 12-lead 500 Hz: median {med:7.1f} ms, best {best:7.1f} ms")


def bench_holter() -> None:
    path = holter_path()
    record = read_ecg(path)
    before = peak_rss_mb()
    start = time.perf_counter()
    delineation = default_delineator().delineate(record)
    seconds = time.perf_counter() - start
    qrs = len(delineation.of_kind(WaveKind.QRS))
    print(f"ours       24 h 2-lead {record.fs:g} Hz Holter ({record.n_samples:,} samples/lead): "
          f"{seconds:.1f} s, {len(delineation.waves):,} waves ({qrs:,} QRS); "
          f"peak RSS {peak_rss_mb():.0f} MB (before: {before:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--skip-holter", action="store_true")
    args = parser.parse_args()
    bench_resting(args.repeat)
    if not args.skip_holter:
        bench_holter()


if __name__ == "__main__":
    main()
