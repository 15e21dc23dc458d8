"""Does the delineation hold up on data it never saw? Three checks, printed as tables.

Run: ``.venv/bin/python benchmarks/delineation_generalisation.py [--plots DIR]``.

1. **Degraded LUDB test records**: the held-out split resampled to 250, 360 and 1000 Hz
   (boundaries mapped back and scored against the 500 Hz reference), with added baseline
   wander, 50 Hz mains, muscle noise, and with only leads II+V5 (a Holter pair) or II alone.
2. **Other devices**: every file in ``../shared/data/formats`` whose recording device printed
   its own PR, QRS and QT (GE MUSE 12SL, Philips, DICOM, HL7 aECG, SCP): our global intervals
   (median over beats) beside the device's.
3. **PTB-XL** (the ten records in ``../shared/data/ptbxl``, another database and device):
   waves found per lead; with ``--plots DIR`` each record is drawn with its waves shaded for
   review by eye (needs matplotlib).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path
from typing import Callable

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.delineation.augment import emg, mains, wander  # noqa: E402
from inference.delineation.data import Split, default_ludb_dir, read_record, split_records  # noqa: E402
from inference.delineation.evaluate import reference_of  # noqa: E402
from inference.delineation.predict import default_delineator  # noqa: E402
from inference.delineation.scoring import Boundary, Scores, wave_boundaries  # noqa: E402
from workstation.core.conditioning import resample  # noqa: E402
from workstation.core.delineation import Delineation, WaveKind  # noqa: E402
from workstation.core.record import ECGRecord  # noqa: E402
from workstation.io import ECGReadError, iter_ecg_files, read_ecg  # noqa: E402

SHARED = Path(os.environ.get("ECGWS_SHARED_DATA", ROOT.parent / "shared" / "data"))
Transform = Callable[[ECGRecord, np.random.Generator], ECGRecord]


def _with(record: ECGRecord, signals: np.ndarray, fs: float | None = None,
          leads: tuple | None = None) -> ECGRecord:
    return ECGRecord.from_array(signals, fs or record.fs, leads or record.leads, record.source)


def _noise(make: Callable[[np.random.Generator, int], np.ndarray], rel: float) -> Transform:
    def apply(record: ECGRecord, rng: np.random.Generator) -> ECGRecord:
        x = record.signals.astype(np.float64)
        amp = np.percentile(x, 99.5, axis=1) - np.percentile(x, 0.5, axis=1)
        noise = np.stack([make(rng, x.shape[1]) for _ in x])
        return _with(record, x + rel * amp[:, None] * noise)
    return apply


def _rate(fs: float) -> Transform:
    return lambda record, rng: _with(record, resample(record.signals, record.fs, fs), fs)


def _leads(names: tuple[str, ...]) -> Transform:
    def apply(record: ECGRecord, rng: np.random.Generator) -> ECGRecord:
        idx = [record.lead_index(n) for n in names]
        return _with(record, record.signals[idx], leads=tuple(record.leads[i] for i in idx))
    return apply


CONDITIONS: dict[str, Transform] = {
    "clean 500 Hz": lambda record, rng: record,
    "resampled to 250 Hz": _rate(250.0),
    "resampled to 360 Hz": _rate(360.0),
    "resampled to 1000 Hz": _rate(1000.0),
    "baseline wander (50% of amplitude)": _noise(wander, 0.5),
    "50 Hz mains (10% of amplitude)": _noise(lambda rng, n: np.sin(2 * np.pi * 50 * np.arange(n) / 500), 0.1),
    "muscle noise (5% of amplitude RMS)": _noise(emg, 0.05),
    "all three noises": lambda r, rng: _noise(emg, 0.05)(_noise(mains, 0.1)(_noise(wander, 0.5)(r, rng), rng), rng),
    "leads II + V5 only": _leads(("II", "V5")),
    "lead II only": _leads(("II",)),
}


def _to_grid(delineation: Delineation, fs: float) -> Delineation:
    """Waves moved to another sampling grid (the reference's)."""
    ratio = fs / delineation.fs
    waves = tuple(dataclasses.replace(w, onset=round(w.onset * ratio), peak=round(w.peak * ratio),
                                      offset=round(w.offset * ratio), id="")
                  for w in delineation.waves)
    return Delineation(fs, delineation.lead_names, waves, delineation.model_name,
                       delineation.model_version)


def degraded_ludb() -> None:
    data = default_ludb_dir()
    records = [read_record(data, name) for name in split_records(data, Split.TEST)]
    delineator = default_delineator()
    print(f"1. LUDB test split ({len(records)} records), 150 ms window: F1 % / SD ms per boundary")
    print(f"{'condition':<36}" + "".join(f"{b.label:>15}" for b in Boundary))
    for name, transform in CONDITIONS.items():
        rng = np.random.default_rng(0)
        scores = Scores()
        for record in records:
            ref = reference_of(record)
            changed = transform(record, rng)
            d = _to_grid(delineator.delineate(changed), record.fs)
            for lead in changed.lead_names:
                scores.add(ref.per_lead[lead], wave_boundaries(d.waves_in(lead)), record.fs)
        print(f"{name:<36}" + "".join(f"{100 * scores[b].f1:>9.2f}/{scores[b].sd_ms:<5.1f}"
                                       for b in Boundary))


def intervals(d: Delineation) -> dict[str, float]:
    """Median global PR, QRS and QT (ms) over the beats where each can be measured."""
    qrs = d.groups(WaveKind.QRS, min_leads=3)
    p = d.groups(WaveKind.P, min_leads=3)
    t = d.groups(WaveKind.T, min_leads=3)
    ms = 1000.0 / d.fs
    pr, qrs_d, qt = [], [], []
    for beat in qrs:
        qrs_d.append((beat.offset - beat.onset) * ms)
        before = [g.onset for g in p if 0 < beat.onset - g.onset < 0.4 * d.fs]
        after = [g.offset for g in t if 0 < g.onset - beat.offset < 0.5 * d.fs]
        if before:
            pr.append((beat.onset - max(before)) * ms)
        if after:
            qt.append((min(after) - beat.onset) * ms)
    med = lambda v: float(np.median(v)) if v else float("nan")  # noqa: E731
    return {"PR": med(pr), "QRS": med(qrs_d), "QT": med(qt)}


def other_devices() -> None:
    print("\n2. Other devices: median global intervals, ours / the device's own program (ms)")
    print(f"{'file':<48}{'fs':>6}{'PR':>14}{'QRS':>14}{'QT':>14}")
    delineator = default_delineator()
    for path in iter_ecg_files(SHARED / "formats"):
        try:
            record = read_ecg(path)
        except ECGReadError:
            continue
        device = {m.name: m.value for m in record.device_report.measurements if m.lead is None}
        if not {"PR", "QRS", "QT"} <= device.keys() or record.n_leads < 3:
            continue
        ours = intervals(delineator.delineate(record))
        print(f"{path.name[:47]:<48}{record.fs:>6g}" + "".join(
            f"{ours[k]:>8.0f}/{device[k]:<5.0f}" for k in ("PR", "QRS", "QT")))


def ptbxl(plots: Path | None) -> None:
    folder = SHARED / "ptbxl" / "cinc2021_format"
    if not folder.is_dir():
        return
    print("\n3. PTB-XL records (no reference marks): waves found per lead (P / QRS / T), "
          "and global intervals")
    delineator = default_delineator()
    for path in sorted(folder.glob("*.hea")):
        record = read_ecg(path)
        d = delineator.delineate(record)
        counts = [(len(d.waves_in(lead, WaveKind.P)), len(d.waves_in(lead, WaveKind.QRS)),
                   len(d.waves_in(lead, WaveKind.T))) for lead in record.lead_names]
        qrs = [c[1] for c in counts]
        iv = intervals(d)
        print(f"{path.stem}: QRS per lead {min(qrs)}-{max(qrs)}, P {min(c[0] for c in counts)}-"
              f"{max(c[0] for c in counts)}, T {min(c[2] for c in counts)}-{max(c[2] for c in counts)}; "
              f"PR {iv['PR']:.0f} QRS {iv['QRS']:.0f} QT {iv['QT']:.0f} ms")
        if plots:
            draw(record, d, plots / f"{path.stem}.png")


def draw(record: ECGRecord, d: Delineation, out: Path) -> None:
    """The record with P (blue), QRS (red) and T (green) spans shaded per lead."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {WaveKind.P: "tab:blue", WaveKind.QRS: "tab:red", WaveKind.T: "tab:green"}
    fig, axes = plt.subplots(record.n_leads, 1, figsize=(20, 1.6 * record.n_leads), sharex=True)
    t = np.arange(record.n_samples) / record.fs
    for ax, lead, x in zip(np.atleast_1d(axes), record.lead_names, record.signals):
        ax.plot(t, x, "k", lw=0.7)
        for w in d.waves_in(lead):
            ax.axvspan(w.onset / record.fs, w.offset / record.fs, color=colours[w.kind],
                       alpha=0.15 + 0.25 * min(w.onset_conf, w.offset_conf), lw=0)
        ax.set_ylabel(lead, rotation=0, labelpad=20)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=70)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plots", type=Path, default=None, help="draw PTB-XL records here")
    args = parser.parse_args()
    degraded_ludb()
    other_devices()
    ptbxl(args.plots)


if __name__ == "__main__":
    main()
