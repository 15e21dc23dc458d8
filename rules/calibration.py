"""Calibration of the delineation's boundary confidences (temperature scaling).

A boundary's confidence should be the probability that it lies within a clinically small
distance of where a cardiologist would put it. Here "correct" means within twice the CSE
expert-agreement SD of a reference boundary of the same kind on the same lead (Willems JL et
al., CSE Working Party, Eur Heart J 1985;6:815-825: SDs 10.2 / 12.7 / 6.5 / 11.6 / 30.6 ms for
P on / P off / QRS on / QRS off / T off; T onset has none and takes T offset's).

Temperature scaling (Guo C et al., "On calibration of modern neural networks", ICML 2017)
maps a confidence c to sigmoid(logit(c) / T), one temperature T per boundary kind, fitted by
minimum negative log-likelihood on records the model was not trained on (the LUDB validation
split; ``benchmarks/rules_calibration.py``). The expected calibration error (ECE) uses ten
equal-width bins, as Guo et al. do. The fitted temperatures are stored with the model's name
and version in ``resources/rules/calibration.json``; a delineation from any other model is
left uncalibrated and says so.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np
from scipy.optimize import minimize_scalar

from workstation.core.delineation import Delineation, WaveKind

CALIBRATION_FILE = ("rules", "calibration.json")
WEIGHTS_FILE = ("models", "delineation-unet.pt")
#: Twice the CSE SDs (ms), rounded; T onset takes T offset's.
TOLERANCE_MS = {"P_on": 20.0, "P_off": 25.0, "QRS_on": 13.0, "QRS_off": 23.0,
                "T_on": 61.0, "T_off": 61.0}
ECE_BINS = 10
_EPS = 1e-6


def boundary_key(kind: WaveKind, onset: bool) -> str:
    """``"QRS_on"``, ``"T_off"`` ...: the key of a boundary kind."""
    return f"{kind.value}_{'on' if onset else 'off'}"


@dataclass(frozen=True)
class Calibration:
    """Temperatures per boundary kind for one model (name and version)."""

    model_name: str
    model_version: str
    temperatures: Mapping[str, float]

    def applies_to(self, delineation: Delineation) -> bool:
        return (delineation.model_name, delineation.model_version) == (self.model_name,
                                                                       self.model_version)

    def calibrate(self, confidence: float, key: str) -> float:
        return float(scale(np.array([confidence]), self.temperatures.get(key, 1.0))[0])


def load_calibration(path: Path | None = None, weights: Path | None = None) -> Calibration | None:
    """The shipped calibration; None when the file is absent or was fitted for other weights.

    ``weights`` (default: the shipped model file) is compared by SHA-256 with the weights the
    temperatures were fitted on, so that retrained weights under an unchanged version string
    are never scored with a stale calibration.
    """
    from resources import resource_path

    path = path or resource_path(*CALIBRATION_FILE)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    weights = weights or resource_path(*WEIGHTS_FILE)
    expected = data.get("weights_sha256")
    if expected and weights.exists() and _digest(weights, weights.stat().st_mtime_ns) != expected:
        return None
    return Calibration(str(data["model_name"]), str(data["model_version"]),
                       MappingProxyType({k: float(v) for k, v in data["temperatures"].items()}))


@lru_cache(maxsize=4)
def _digest(path: Path, mtime_ns: int) -> str:
    """SHA-256 of a file (cached per path and modification time)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scale(confidence: np.ndarray, temperature: float) -> np.ndarray:
    """sigmoid(logit(c) / T)."""
    c = np.clip(np.asarray(confidence, dtype=float), _EPS, 1.0 - _EPS)
    return 1.0 / (1.0 + np.exp(-np.log(c / (1.0 - c)) / temperature))


def fit_temperature(confidence: np.ndarray, correct: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of ``correct`` (0/1)."""
    y = np.asarray(correct, dtype=float)

    def nll(log_t: float) -> float:
        p = np.clip(scale(confidence, math.exp(log_t)), _EPS, 1.0 - _EPS)
        return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))

    result = minimize_scalar(nll, bounds=(math.log(0.02), math.log(50.0)), method="bounded")
    return float(math.exp(result.x))


@dataclass(frozen=True)
class Reliability:
    """Per-bin mean confidence, accuracy and count (equal-width bins over 0..1)."""

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    counts: np.ndarray

    @property
    def ece(self) -> float:
        """Expected calibration error: count-weighted mean |accuracy - confidence|."""
        total = self.counts.sum()
        if not total:
            return float("nan")
        gap = np.abs(np.nan_to_num(self.accuracy) - np.nan_to_num(self.confidence))
        return float(np.sum(gap * self.counts) / total)


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> Reliability:
    """Reliability table of ``confidence`` against 0/1 ``correct``."""
    c = np.asarray(confidence, dtype=float)
    y = np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(c, edges[1:-1]), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = np.bincount(which, weights=c, minlength=bins) / counts
        acc = np.bincount(which, weights=y, minlength=bins) / counts
    return Reliability(edges, conf, acc, counts)


def boundary_outcomes(predicted: Delineation, reference: Delineation,
                      tolerance_ms: Mapping[str, float] = TOLERANCE_MS
                      ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per boundary kind: the predicted boundaries' confidences and whether each is correct.

    A predicted boundary is correct when a reference boundary of the same kind on the same
    lead lies within the tolerance. Predictions outside the span the reference annotates on
    that lead (LUDB leaves the first and last beats unmarked) are left out: there is no
    ground truth there.
    """
    out: dict[str, tuple[list[float], list[bool]]] = {key: ([], []) for key in tolerance_ms}
    for lead in predicted.lead_names:
        if lead not in reference.lead_names or not reference.waves_in(lead):
            continue
        ref_waves = reference.waves_in(lead)
        span = (min(w.onset for w in ref_waves), max(w.offset for w in ref_waves))
        for kind in WaveKind:
            refs = [w for w in ref_waves if w.kind is kind]
            for onset in (True, False):
                key = boundary_key(kind, onset)
                tol = tolerance_ms[key] * predicted.fs / 1000.0
                marks = np.sort([w.onset if onset else w.offset for w in refs])
                for wave in predicted.waves_in(lead, kind):
                    at = wave.onset if onset else wave.offset
                    if not span[0] - tol <= at <= span[1] + tol:
                        continue
                    out[key][0].append(wave.onset_conf if onset else wave.offset_conf)
                    out[key][1].append(bool(len(marks)) and _nearest(marks, at) <= tol)
    return {k: (np.array(c, dtype=float), np.array(y, dtype=bool)) for k, (c, y) in out.items()}


def _nearest(sorted_marks: np.ndarray, at: int) -> float:
    i = int(np.searchsorted(sorted_marks, at))
    near = sorted_marks[max(0, i - 1):i + 1]
    return float(np.min(np.abs(near - at)))
