"""Training augmentation: what clinics send that LUDB's clean resting ECGs do not show.

Functions take and return float64 mV at 500 Hz shaped (leads, samples): the leads of one
record, which share the time warp, the crop and the recorder's sampling rate and filter,
while each lead gets its own amplitude, polarity and noise. Labels travel with the time warp
and the crop only. Noise levels are relative to each lead's own amplitude, so a small lead
gets the same signal-to-noise range as a large one. Models of the noise follow the MIT-BIH
Noise Stress Test conventions (baseline wander, muscle artefact; Moody, Muldrow & Mark,
Computers in Cardiology 1984) plus mains interference at 50 or 60 Hz with a harmonic.
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


def time_scale(x: np.ndarray, y: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Stretch (factor > 1) or compress the leads and their labels in time (linear interpolation)."""
    n = x.shape[-1]
    m = max(2, int(round(n * factor)))
    pos = np.linspace(0.0, n - 1, m)
    i0 = np.minimum(pos.astype(np.int64), n - 2)
    frac = pos - i0
    return x[:, i0] * (1 - frac) + x[:, i0 + 1] * frac, y[:, np.rint(pos).astype(np.int64)]


def crop(rng: np.random.Generator, x: np.ndarray, y: np.ndarray,
         length: int) -> tuple[np.ndarray, np.ndarray]:
    """A random window of ``length`` samples; shorter records are padded (labels IGNORE)."""
    n = x.shape[-1]
    if n < length:
        left = int(rng.integers(0, length - n + 1))
        widths = ((0, 0), (left, length - n - left))
        return np.pad(x, widths, mode="edge"), np.pad(y, widths, constant_values=IGNORE)
    start = int(rng.integers(0, n - length + 1))
    return x[:, start:start + length], y[:, start:start + length]


def other_rate(x: np.ndarray, rate: float) -> np.ndarray:
    """Resample to ``rate`` and back, as inference does for a record sampled at ``rate``."""
    ratio = Fraction(rate / FS).limit_denominator(100)
    low = sps.resample_poly(x, ratio.numerator, ratio.denominator, axis=-1)
    back = sps.resample_poly(low, ratio.denominator, ratio.numerator, axis=-1)
    n = x.shape[-1]
    return back[:, :n] if back.shape[-1] >= n else np.pad(back, ((0, 0), (0, n - back.shape[-1])), mode="edge")


def lowpass(x: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """A recorder's own low-pass (e.g. 40 Hz monitoring filter), zero phase."""
    sos = sps.butter(2, cutoff_hz, fs=FS, output="sos")
    return sps.sosfiltfilt(sos, x, axis=-1)


def wander(rng: np.random.Generator, n: int) -> np.ndarray:
    """Baseline wander of unit peak: a few slow sinusoids (respiration, drift) and a ramp."""
    t = np.arange(n) / FS
    out = np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):
        f = rng.uniform(0.05, 0.8)
        out += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    out += rng.uniform(-1, 1) * (t / max(t[-1], 1e-9))
    return out / max(np.abs(out).max(), 1e-9)


def mains(rng: np.random.Generator, n: int) -> np.ndarray:
    """Powerline interference of unit amplitude at 50 or 60 Hz with a weaker third harmonic."""
    t = np.arange(n) / FS
    f = (50.0 if rng.random() < 0.5 else 60.0) * rng.uniform(0.995, 1.005)
    out = np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    return out + rng.uniform(0, 0.3) * np.sin(2 * np.pi * 3 * f * t + rng.uniform(0, 2 * np.pi))


def emg(rng: np.random.Generator, n: int) -> np.ndarray:
    """Muscle artefact of unit RMS: noise above 20 Hz in bursts (a slowly varying envelope)."""
    sos = sps.butter(2, [20.0, 200.0], btype="bandpass", fs=FS, output="sos")
    noise = sps.sosfilt(sos, rng.standard_normal(n))
    noise /= max(noise.std(), 1e-9)
    envelope = np.interp(np.arange(n), np.linspace(0, n, 6), rng.uniform(0.2, 1.0, 6))
    return envelope * noise


def _add_noise(rng: np.random.Generator, x: np.ndarray, cfg: AugmentConfig) -> np.ndarray:
    """Each lead's own wander, mains, EMG and white noise, relative to its amplitude."""
    n = x.shape[-1]
    out = x.copy()
    for row in range(x.shape[0]):
        amp = max(np.percentile(x[row], 99.5) - np.percentile(x[row], 0.5), 0.05)
        if rng.random() < cfg.p_wander:
            out[row] += amp * rng.uniform(*cfg.wander_rel) * wander(rng, n)
        if rng.random() < cfg.p_mains:
            out[row] += amp * rng.uniform(*cfg.mains_rel) * mains(rng, n)
        if rng.random() < cfg.p_emg:
            out[row] += amp * rng.uniform(*cfg.emg_rel) * emg(rng, n)
        if rng.random() < cfg.p_white:
            out[row] += amp * rng.uniform(*cfg.white_rel) * rng.standard_normal(n)
    return out


def augment(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, length: int,
            cfg: AugmentConfig = AugmentConfig()) -> tuple[np.ndarray, np.ndarray]:
    """One augmented training window of ``length`` samples from a record's leads and labels."""
    if rng.random() < cfg.p_time_scale:
        x, y = time_scale(x, y, rng.uniform(*cfg.time_scale))
    x, y = crop(rng, x, y, length)
    gains = np.exp(rng.uniform(*np.log(cfg.amplitude), size=(x.shape[0], 1)))
    signs = np.where(rng.random((x.shape[0], 1)) < cfg.p_invert, -1.0, 1.0)
    x = x * gains * signs
    if rng.random() < cfg.p_other_rate:
        x = other_rate(x, float(rng.choice(cfg.other_rates)))
    if rng.random() < cfg.p_lowpass:
        x = lowpass(x, rng.uniform(*cfg.lowpass_hz))
    return _add_noise(rng, x, cfg), y
