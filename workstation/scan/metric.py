"""The PhysioNet/CinC Challenge 2024 digitisation metric: SNR per lead, in dB.

As in the Challenge's scoring code, a lead is scored only where the reference is finite (the
part of the record the image shows), a missing output sample (NaN) counts as 0 mV, and no
shift or offset is forgiven: SNR = 10 log10(sum(ref^2) / sum((out - ref)^2)). Records are
summarised by the mean and median over every (record, lead) pair.
"""

from __future__ import annotations

import math

import numpy as np

from workstation.core.leads import STANDARD_LEADS


def snr_db(reference: np.ndarray, output: np.ndarray) -> float:
    """SNR of one lead (NaN when the reference shows nothing or is all zero)."""
    reference = np.asarray(reference, np.float64)
    output = np.asarray(output, np.float64)
    if reference.shape != output.shape:
        raise ValueError(f"reference {reference.shape} and output {output.shape} differ in shape")
    shown = np.isfinite(reference)
    x = reference[shown]
    y = np.nan_to_num(output[shown], nan=0.0, posinf=0.0, neginf=0.0)
    signal, noise = float(np.sum(x**2)), float(np.sum((y - x) ** 2))
    if signal <= 0.0:
        return math.nan
    return math.inf if noise == 0.0 else 10.0 * math.log10(signal / noise)


def snr_per_lead(reference: np.ndarray, output: np.ndarray) -> np.ndarray:
    """SNR of each row of (leads, samples) arrays; the output is cut or NaN-padded to length."""
    reference = np.asarray(reference, np.float64)
    output = np.asarray(output, np.float64)
    n = reference.shape[1]
    fitted = np.full(reference.shape, np.nan)
    fitted[:, :min(n, output.shape[1])] = output[:reference.shape[0], :n]
    return np.array([snr_db(reference[i], fitted[i]) for i in range(reference.shape[0])])


def summarise(values: list[float] | np.ndarray) -> tuple[float, float]:
    """Mean and median of the finite SNRs (NaN, NaN when there are none)."""
    finite = np.asarray([v for v in np.ravel(values) if np.isfinite(v)], np.float64)
    if finite.size == 0:
        return math.nan, math.nan
    return float(finite.mean()), float(np.median(finite))


def snr_by_name(reference: np.ndarray, output: np.ndarray, output_names,
                reference_names=STANDARD_LEADS) -> np.ndarray:
    """SNR of each reference lead against the output lead of the same name: a digitised page's
    leads are matched by name, so a strip kept apart under no lead name takes no part, and a
    lead the output lacks counts as all 0 mV (as the Challenge scores a missing output)."""
    reference = np.asarray(reference, np.float64)
    rows = {name: i for i, name in enumerate(output_names)}
    matched = np.full(reference.shape, np.nan)
    for k, name in enumerate(reference_names):
        if name in rows:
            row = np.asarray(output[rows[name]], np.float64)[:reference.shape[1]]
            matched[k, :row.size] = row
    return snr_per_lead(reference, matched)
