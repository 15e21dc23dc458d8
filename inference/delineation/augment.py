"""Training augmentation: what clinics send that LUDB's clean resting ECGs do not show.

Each function takes and returns float64 mV at 500 Hz for one lead (labels travel with the
time warp and the crop only). Noise levels are relative to the lead's own amplitude, so a
small lead gets small noise in absolute terms but the same signal-to-noise range as a large
one. Models of the noise follow the MIT-BIH Noise Stress Test conventions (baseline wander,
muscle artefact; Moody, Muldrow & Mark, Computers in Cardiology 1984) plus mains
interference at 50 or 60 Hz with a harmonic.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import signal as sps

from inference.delineation.labels import IGNORE

FS = 500.0


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities and ranges of each augmentation."""

    p_time_scale: float = 0.5
    time_scale: tuple[float, float] = (0.85, 1.18)
    p_other_rate: float = 0.35
    other_rates: tuple[float, ...] = (250.0, 300.0, 360.0, 400.0, 1000.0)
    p_lowpass: float = 0.25
    lowpass_hz: tuple[float, float] = (35.0, 120.0)
    amplitude: tuple[float, float] = (0.3, 3.0)
    p_invert: float = 0.1
    p_wander: float = 0.5
    wander_rel: tuple[float, float] = (0.05, 1.0)
    p_mains: float = 0.3
    mains_rel: tuple[float, float] = (0.01, 0.15)
    p_emg: float = 0.35
    emg_rel: tuple[float, float] = (0.005, 0.08)
    p_white: float = 0.3
    white_rel: tuple[float, float] = (0.002, 0.03)


def time_scale(rng: np.random.Generator, x: np.ndarray, y: np.ndarray,
               factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Stretch (factor > 1) or compress the lead and its labels in time."""
    n = len(x)
    m = max(2, int(round(n * factor)))
    pos = np.linspace(0.0, n - 1, m)
    return np.interp(pos, np.arange(n), x), y[np.rint(pos).astype(np.int64)]


def crop(rng: np.random.Generator, x: np.ndarray, y: np.ndarray,
         length: int) -> tuple[np.ndarray, np.ndarray]:
    """A random window of ``length`` samples; shorter leads are padded (labels IGNORE)."""
    if len(x) < length:
        pad = length - len(x)
        left = int(rng.integers(0, pad + 1))
        return (np.pad(x, (left, pad - left), mode="edge"),
                np.pad(y, (left, pad - left), constant_values=IGNORE))
    start = int(rng.integers(0, len(x) - length + 1))
    return x[start:start + length], y[start:start + length]


def other_rate(x: np.ndarray, rate: float) -> np.ndarray:
    """Resample to ``rate`` and back, as inference does for a record sampled at ``rate``."""
    ratio = Fraction(rate / FS).limit_denominator(100)
    low = sps.resample_poly(x, ratio.numerator, ratio.denominator)
    back = sps.resample_poly(low, ratio.denominator, ratio.numerator)
    return _fit(back, len(x))


def lowpass(x: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """A recorder's own low-pass (e.g. 40 Hz monitoring filter), zero phase."""
    sos = sps.butter(2, cutoff_hz, fs=FS, output="sos")
    return sps.sosfiltfilt(sos, x)


def wander(rng: np.random.Generator, n: int, amplitude: float) -> np.ndarray:
    """Baseline wander: a few slow sinusoids (respiration, electrode drift) and a slow ramp."""
    t = np.arange(n) / FS
    out = np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):
        f = rng.uniform(0.05, 0.8)
        out += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    out += rng.uniform(-1, 1) * (t / max(t[-1], 1e-9))
    return amplitude * out / max(np.abs(out).max(), 1e-9)


def mains(rng: np.random.Generator, n: int, amplitude: float) -> np.ndarray:
    """Powerline interference at 50 or 60 Hz with a weaker third harmonic."""
    t = np.arange(n) / FS
    f = 50.0 if rng.random() < 0.5 else 60.0
    f *= rng.uniform(0.995, 1.005)
    out = np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    out += rng.uniform(0, 0.3) * np.sin(2 * np.pi * 3 * f * t + rng.uniform(0, 2 * np.pi))
    return amplitude * out


def emg(rng: np.random.Generator, n: int, amplitude: float) -> np.ndarray:
    """Muscle artefact: noise above 20 Hz in bursts (a slowly varying envelope)."""
    sos = sps.butter(2, [20.0, 200.0], btype="bandpass", fs=FS, output="sos")
    noise = sps.sosfilt(sos, rng.standard_normal(n))
    noise /= max(noise.std(), 1e-9)
    envelope = np.interp(np.arange(n), np.linspace(0, n, 6), rng.uniform(0.2, 1.0, 6))
    return amplitude * envelope * noise


def augment(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, length: int,
            cfg: AugmentConfig = AugmentConfig()) -> tuple[np.ndarray, np.ndarray]:
    """One augmented training window of ``length`` samples from a whole lead and its labels."""
    if rng.random() < cfg.p_time_scale:
        x, y = time_scale(rng, x, y, rng.uniform(*cfg.time_scale))
    x, y = crop(rng, x, y, length)
    x = x * np.exp(rng.uniform(*np.log(cfg.amplitude)))
    if rng.random() < cfg.p_invert:
        x = -x
    if rng.random() < cfg.p_other_rate:
        x = other_rate(x, float(rng.choice(cfg.other_rates)))
    if rng.random() < cfg.p_lowpass:
        x = lowpass(x, rng.uniform(*cfg.lowpass_hz))
    amp = max(np.percentile(x, 99.5) - np.percentile(x, 0.5), 0.05)
    if rng.random() < cfg.p_wander:
        x = x + wander(rng, length, amp * rng.uniform(*cfg.wander_rel))
    if rng.random() < cfg.p_mains:
        x = x + mains(rng, length, amp * rng.uniform(*cfg.mains_rel))
    if rng.random() < cfg.p_emg:
        x = x + emg(rng, length, amp * rng.uniform(*cfg.emg_rel))
    if rng.random() < cfg.p_white:
        x = x + amp * rng.uniform(*cfg.white_rel) * rng.standard_normal(length)
    return x, y


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    return x[:n] if len(x) >= n else np.pad(x, (0, n - len(x)), mode="edge")
