"""Digitisation accuracy: the Challenge 2024 SNR on synthetic prints and on images with ground truth.

Synthetic prints are rendered from held-out records (LUDB's test split by default) at each
degradation level of :mod:`workstation.scan.synth`; each is digitised and scored lead by lead.
The quality score is checked against the SNR it should predict (Spearman rank correlation over
every digitised lead). The ecg-image-kit images of QTDB ``sel100`` in the shared data are the only
images here whose source signal is known; they are scored the same way.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from workstation.core.leads import STANDARD_LEADS
from workstation.core.record import ECGRecord
from workstation.scan.digitize import InkFinder, classical_ink, digitize
from workstation.scan.ingest import load_pages
from workstation.scan.metric import snr_by_name, snr_db, summarise
from workstation.scan.synth import degrade, render


@dataclass(frozen=True)
class LevelResult:
    """Scores of one degradation level (or one image set)."""

    name: str
    records: int
    mean_snr: float
    median_snr: float
    mean_quality: float
    spearman: float  # quality vs SNR over leads
    seconds_per_page: float
    lead_snr: tuple[float, ...]
    lead_quality: tuple[float, ...]
    centred_snr: float = math.nan  # mean SNR with each lead's mean removed (no 0 mV reference)
    refused: int = 0  # pages that gave no record (no lead traced)

    @property
    def refused_share(self) -> float:
        return self.refused / self.records if self.records else math.nan


def evaluate_synthetic(records: Iterable[ECGRecord], levels: Sequence[str], *, dpi: float = 200.0,
                       seed: int = 0, ink: InkFinder = classical_ink) -> list[LevelResult]:
    """Render, degrade, digitise (finding the ink with ``ink``) and score each record at each level."""
    per_level: dict[str, tuple[list[float], list[float], list[float]]] = {lv: ([], [], []) for lv in levels}
    counts = dict.fromkeys(levels, 0)
    refused = dict.fromkeys(levels, 0)
    styles = ("pink", "red", "green", "grey")
    for k, record in enumerate(records):
        printout = render(record, dpi=dpi, style=styles[k % len(styles)])
        for level in levels:
            page = degrade(printout, level, seed=seed + k)
            start = time.perf_counter()
            result = digitize(page.image, ink=ink)
            elapsed = time.perf_counter() - start
            snrs, quality, times = per_level[level]
            times.append(elapsed)
            counts[level] += 1
            refused[level] += not result.traces
            if not set(STANDARD_LEADS) & set(result.lead_names):
                snrs.extend([0.0] * 12)  # nothing usable: as the Challenge scores a missing output
                quality.extend([result.score] * 12)
                continue
            values = snr_by_name(page.truth, result.signals, result.lead_names)
            for name, value in zip(STANDARD_LEADS, values):
                snrs.append(float(value))
                quality.append(result.lead_score(name))
    return [dataclasses.replace(_result(lv, counts[lv], *per_level[lv]), refused=refused[lv])
            for lv in levels]


def evaluate_sel100(folder: Path, *, ink: InkFinder = classical_ink) -> LevelResult | None:
    """Score the ecg-image-kit images of QTDB sel100 (``sel100-N.png`` shows seconds 10N..10N+10
    of ``sel100``, V5 above and MLII below; see the shared data's README), finding the ink
    with ``ink``."""
    import wfdb

    header = folder / "sel100.hea"
    images = sorted(p for p in folder.glob("sel100-*.png") if not p.stem.endswith("-gt"))
    if not header.exists() or not images:
        return None
    signal, fields = wfdb.rdsamp(str(folder / "sel100"))
    fs = float(fields["fs"])
    names = list(fields["sig_name"])
    snrs, centred, quality, times = [], [], [], []
    for path in images:
        n = int(path.stem.split("-")[1])
        start = time.perf_counter()
        result = digitize(load_pages(path)[0], ink=ink)
        times.append(time.perf_counter() - start)
        window = signal[int(10 * n * fs):int((10 * n + 10) * fs)]
        for row, lead in enumerate(("V5", "MLII")):
            truth = window[:, names.index(lead)]
            if row >= result.signals.shape[0]:
                snrs.append(0.0)
                centred.append(0.0)
                quality.append(result.score)
                continue
            output = _resample(result.signals[row], result.fs, fs, len(truth))
            snrs.append(snr_db(truth, output))
            centred.append(snr_db(truth - truth.mean(), output - np.nanmean(output)))
            quality.append(result.lead_score(result.lead_names[row]))
    return dataclasses.replace(_result("ecg-image-kit sel100", len(images), snrs, quality, times),
                               centred_snr=summarise(centred)[0])


def _resample(x: np.ndarray, fs_in: float, fs_out: float, n: int) -> np.ndarray:
    t_out = np.arange(n) / fs_out
    t_in = np.arange(len(x)) / fs_in
    finite = np.isfinite(x)
    if finite.sum() < 2:
        return np.full(n, np.nan)
    y = np.interp(t_out, t_in[finite], x[finite], left=np.nan, right=np.nan)
    return y


def _result(name: str, records: int, snrs: list[float], quality: list[float],
            times: list[float]) -> LevelResult:
    mean, median = summarise(snrs)
    finite = [(s, qv) for s, qv in zip(snrs, quality) if np.isfinite(s)]
    rho = math.nan
    if len(finite) >= 3 and len({qv for _, qv in finite}) > 1:
        rho = float(spearmanr([s for s, _ in finite], [qv for _, qv in finite]).statistic)
    return LevelResult(name, records, mean, median,
                       float(np.mean(quality)) if quality else math.nan, rho,
                       float(np.mean(times)) if times else math.nan, tuple(snrs), tuple(quality))


def spearman_overall(results: Sequence[LevelResult]) -> float:
    """Rank correlation of quality with SNR over every lead of every level."""
    pairs = [(s, qv) for r in results for s, qv in zip(r.lead_snr, r.lead_quality) if np.isfinite(s)]
    if len(pairs) < 3:
        return math.nan
    return float(spearmanr([s for s, _ in pairs], [qv for _, qv in pairs]).statistic)


def format_table(results: Sequence[LevelResult]) -> str:
    lines = [f"{'set':<22} {'pages':>5} {'mean SNR':>9} {'median':>7} {'refused':>8} {'quality':>8} "
             f"{'rho(q,SNR)':>10} {'s/page':>7}"]
    for r in results:
        lines.append(f"{r.name:<22} {r.records:>5} {r.mean_snr:>9.2f} {r.median_snr:>7.2f} "
                     f"{r.refused_share:>8.0%} {r.mean_quality:>8.2f} {r.spearman:>10.2f} "
                     f"{r.seconds_per_page:>7.2f}")
    return "\n".join(lines)
