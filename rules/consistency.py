"""Are the file's amplitudes trustworthy? Einthoven's and Goldberger's laws as a check.

The six limb leads are linear combinations of two: III = II - I, aVR = -(I + II) / 2,
aVL = I - II / 2, aVF = II - I / 2 (Einthoven 1912; Goldberger 1942). A file whose limb leads
break these relations has amplitudes that were scaled lead by lead (LUDB, for one, stores
every lead normalised to a 1 mV range) or leads that are mislabelled. Its absolute
amplitudes (ST level, voltage criteria) cannot be trusted, and the QRS axis is only right
after the relative lead gains are restored, which the same relations allow: the gains that
make the relations hold best are found by least squares (lead II's gain fixed at 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from workstation.core.conditioning import lowpass

LIMB = ("I", "II", "III", "aVR", "aVL", "aVF")
#: Each row: coefficients of (I, II, III, aVR, aVL, aVF) that sum to zero.
RELATIONS = np.array([
    [1.0, -1.0, 1.0, 0.0, 0.0, 0.0],   # I - II + III = 0
    [0.5, 0.5, 0.0, 1.0, 0.0, 0.0],    # aVR + (I + II) / 2 = 0
    [-1.0, 0.5, 0.0, 0.0, 1.0, 0.0],   # aVL - I + II / 2 = 0
    [0.5, -1.0, 0.0, 0.0, 0.0, 1.0],   # aVF - II + I / 2 = 0
])


@dataclass(frozen=True)
class AmplitudeCheck:
    """Whether the record's amplitudes can be reasoned over.

    Parameters
    ----------
    limb_residual
        RMS of the limb-lead relations relative to lead II (0 for exactly consistent leads);
        None without the six limb leads.
    equal_ranges
        Every lead spans the same range: amplitudes normalised lead by lead.
    limb_gains
        Gains restoring the limb leads' relative amplitudes when they are inconsistent and
        the relations can be restored (residual after restoring within the limit), else None.
    trusted
        True when absolute amplitudes may be used (ST, T and voltage rules).
    note
        What was found, in words.
    limb_consistent
        The limb leads obey the relations as stored (or there are not six of them).
    untrusted_leads
        Leads whose absolute amplitudes must not be read although the record's may be: on a
        printed page that breaks Einthoven's law, the limb leads (one of them was misread).
    """

    limb_residual: float | None
    equal_ranges: bool
    limb_gains: Mapping[str, float] | None
    trusted: bool
    note: str
    limb_consistent: bool = True
    untrusted_leads: tuple[str, ...] = ()


def check_amplitudes(signals: np.ndarray, lead_names: tuple[str, ...], max_residual: float,
                     range_tolerance: float, max_range_mv: float = np.inf,
                     printed: tuple[float, float] | None = None) -> AmplitudeCheck:
    """Check ``signals`` (leads x samples, mV) against the limb-lead relations, for
    lead-by-lead normalisation (all ranges equal within ``range_tolerance``, relative) and for
    a gain error (a lead's 0.5-99.5 percentile range beyond ``max_range_mv``).

    ``printed`` (sampling rate, limit) is given for a signal read off a paper ECG: when the
    six limb leads are never recorded together, :func:`printed_residual` is judged against
    that limit instead."""
    ranges = np.array([np.ptp(row[np.isfinite(row)]) if np.isfinite(row).any() else 0.0
                       for row in signals])
    robust = max((float(np.subtract(*np.percentile(row[np.isfinite(row)], [99.5, 0.5])))
                  for row in signals if np.isfinite(row).any()), default=0.0)
    too_large = robust > max_range_mv
    equal = (len(ranges) >= 6 and ranges.max() > 0
             and (ranges.max() - ranges.min()) <= range_tolerance * ranges.max())
    limb = _limb_matrix(signals, lead_names)
    residual = None if limb is None else relation_residual(limb, np.ones(6))
    if limb is None and printed is not None:  # a printed page: the relation it can check
        residual = printed_residual(signals, lead_names, printed[0])
        max_residual = printed[1] if residual is not None else max_residual
    gains = None
    if limb is not None and residual is not None and residual > max_residual:
        fitted = fit_gains(limb)
        if relation_residual(limb, fitted) <= max_residual:
            gains = MappingProxyType(dict(zip(LIMB, map(float, fitted))))
    consistent = residual is None or residual <= max_residual
    note = _note(residual, bool(equal), gains, max_residual)
    # On a printed page every lead is scaled by the one grid and gain: a broken relation is a
    # limb lead misread (another lead's line followed, a stretch lost, a strip misnamed), which
    # says nothing of the precordial leads. Only the limb leads' amplitudes are then set aside.
    untrusted = LIMB if printed is not None and limb is None and not consistent else ()
    if untrusted:
        note += ("; on a printed page that is a misread limb lead: the limb leads' amplitudes "
                 "are not read, the precordial leads' (scaled by the same grid) are")
    if too_large:
        note = (f"a lead spans {robust:.1f} mV, beyond any physiological ECG (limit "
                f"{max_range_mv:g} mV): the file's gain is probably wrong"
                + ("" if note == "limb leads consistent" else f"; {note}"))
    trusted = not (equal or too_large) and (consistent or bool(untrusted))
    return AmplitudeCheck(residual, bool(equal), gains, trusted, note, consistent, untrusted)


def relation_residual(limb: np.ndarray, gains: np.ndarray) -> float:
    """RMS of the four relations with ``gains`` applied, relative to the RMS of lead II."""
    scaled = limb * gains[:, None]
    errors = RELATIONS @ scaled
    return float(np.sqrt(np.mean(errors ** 2)) / max(np.sqrt(np.mean(scaled[1] ** 2)), 1e-12))


#: On a printed page (3x4, 6x2) lead III is printed beside I and II, so Einthoven's law can be
#: checked there (I - II + III = 0) even though the six limb leads are never shown together.
PRINTED_RELATION = (("I", 1.0), ("II", -1.0), ("III", 1.0))
#: Fewest simultaneous samples the printed relation needs to be judged.
MIN_SHARED = 100
#: The printed relation is judged below this frequency (Hz): a digitised trace carries pixel
#: noise and a fraction of a sample of misalignment between rows, which the QRS's slopes would
#: turn into a residual; the wave shapes below it are what a misread lead gets wrong.
PRINTED_CUTOFF_HZ = 15.0


def printed_residual(signals: np.ndarray, lead_names: tuple[str, ...], fs: float) -> float | None:
    """RMS of I - II + III where the three are shown together, relative to the RMS of the
    largest of them, below ``PRINTED_CUTOFF_HZ`` (None when they never are). A misread printed
    lead (a V1 rhythm strip taken for lead II, a wrong gain, a lost stretch) breaks it."""
    if not all(lead in lead_names for lead, _ in PRINTED_RELATION):
        return None
    rows = np.array([signals[lead_names.index(lead)] for lead, _ in PRINTED_RELATION], dtype=float)
    shared = np.isfinite(rows).all(axis=0)
    if shared.sum() < MIN_SHARED:
        return None
    rows = rows[:, shared] - np.median(rows[:, shared], axis=1, keepdims=True)
    rows = np.array([lowpass(row, fs, PRINTED_CUTOFF_HZ) for row in rows])
    error = np.array([c for _, c in PRINTED_RELATION]) @ rows
    scale = float(np.max(np.sqrt(np.mean(rows ** 2, axis=1))))
    return float(np.sqrt(np.mean(error ** 2)) / max(scale, 1e-12))


def fit_gains(limb: np.ndarray) -> np.ndarray:
    """Per-lead gains (II fixed at 1) that make the limb relations hold best."""
    blocks = np.concatenate([(row[:, None] * limb).T for row in RELATIONS])  # (4 n, 6)
    free = [0, 2, 3, 4, 5]
    solution, *_ = np.linalg.lstsq(blocks[:, free], -blocks[:, 1], rcond=None)
    return np.insert(solution, 1, 1.0)


def _limb_matrix(signals: np.ndarray, lead_names: tuple[str, ...]) -> np.ndarray | None:
    if not all(lead in lead_names for lead in LIMB):
        return None
    rows = np.array([signals[lead_names.index(lead)] for lead in LIMB], dtype=float)
    finite = np.isfinite(rows).all(axis=0)
    if finite.sum() < 10:
        return None
    rows = rows[:, finite]
    return rows - np.median(rows, axis=1, keepdims=True)


def _note(residual: float | None, equal: bool, gains, limit: float) -> str:
    parts = []
    if residual is not None and residual > limit:
        parts.append(f"the limb leads break Einthoven's and Goldberger's laws (residual "
                     f"{residual:.0%} of lead II, limit {limit:.0%})")
        parts.append("their relative gains were restored for the axis" if gains is not None
                     else "their gains could not be restored: no axis")
    if equal:
        parts.append("every lead spans the same range (amplitudes normalised lead by lead)")
    return "; ".join(parts) or "limb leads consistent"
