"""Lead names: normalisation to the standard twelve and derivation of the limb leads.

Vendors spell the same lead many ways ("Lead I (Einthoven)", "MDC_ECG_LEAD_I", "i", "AVR").
Standard leads are mapped to one spelling; anything else (MLII, V5 of a Holter, CM5, ...)
is kept exactly as the file gives it, so that nothing is silently renamed.
"""

from __future__ import annotations

import re

import numpy as np

STANDARD_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)
LIMB_LEADS: tuple[str, ...] = STANDARD_LEADS[:6]
DERIVABLE_LEADS: tuple[str, ...] = ("III", "aVR", "aVL", "aVF")

_CANONICAL = {name.upper(): name for name in STANDARD_LEADS}
# Prefixes and decorations that vendors put around a standard lead name.
_PREFIXES = ("MDC_ECG_LEAD_", "LEAD_", "LEAD ", "ECG ", "ECG_", "EKG ")
_SUFFIX = re.compile(r"\s*\((EINTHOVEN|GOLDBERGER|WILSON)\)\s*$", re.IGNORECASE)


def normalise_lead_name(raw: str) -> str:
    """Return the standard spelling of a lead name, or the name as given (stripped).

    Only an exact standard lead after removing known prefixes/suffixes is renamed;
    "MLII", "CM5", "-aVR", "V4R" are returned unchanged.

    Examples
    --------
    >>> normalise_lead_name("Lead I (Einthoven)")
    'I'
    >>> normalise_lead_name("MDC_ECG_LEAD_AVR")
    'aVR'
    >>> normalise_lead_name("MLII")
    'MLII'
    """
    name = raw.strip()
    core = _SUFFIX.sub("", name)
    upper = core.upper()
    for prefix in _PREFIXES:
        if upper.startswith(prefix):
            upper = upper[len(prefix):].strip()
            break
    return _CANONICAL.get(upper, name)


def sort_key(name: str) -> tuple[int, str]:
    """Order standard leads clinically (I..V6) and put any other lead after them."""
    try:
        return (STANDARD_LEADS.index(name), "")
    except ValueError:
        return (len(STANDARD_LEADS), name)


def derive_limb_leads(lead_i: np.ndarray, lead_ii: np.ndarray) -> dict[str, np.ndarray]:
    """Compute III, aVR, aVL and aVF from I and II (Einthoven's law, Goldberger's leads).

    III = II - I, aVR = -(I + II) / 2, aVL = I - II / 2, aVF = II - I / 2.
    """
    return {
        "III": lead_ii - lead_i,
        "aVR": -(lead_i + lead_ii) / 2,
        "aVL": lead_i - lead_ii / 2,
        "aVF": lead_ii - lead_i / 2,
    }
