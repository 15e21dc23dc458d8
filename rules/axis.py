"""Frontal-plane P, QRS and T axes from the limb leads.

The mean electrical axis is the direction of the frontal vector whose projections best match
the net areas of the wave in the available limb leads (least squares over the hexaxial
reference system; Einthoven's leads at 0, 60 and 120 degrees, Goldberger's augmented leads at
-150, -30 and 90 degrees with their projection gain of sqrt(3)/2). With leads I and aVF alone
this is the classic atan2(aVF, I) construction; more leads average out noise. Net area rather
than net amplitude follows the computer programs' practice and the AHA/ACCF/HRS part III
description of the axis as that of the mean QRS vector (Surawicz B et al., Circulation
2009;119:e235-e240).

An axis is None when fewer than two non-collinear limb leads are usable, or when the wave is
nearly isoelectric in every limb lead (an indeterminate axis).
"""

from __future__ import annotations

import math

import numpy as np

from rules.types import Measured

#: Direction (degrees) and projection gain of each limb lead in the hexaxial system.
LIMB_LEAD_VECTORS = {
    "I": (0.0, 1.0),
    "II": (60.0, 1.0),
    "III": (120.0, 1.0),
    "aVR": (-150.0, math.sqrt(3) / 2),
    "aVL": (-30.0, math.sqrt(3) / 2),
    "aVF": (90.0, math.sqrt(3) / 2),
}
#: The fitted vector is "indeterminate" when its length is below this share of the largest
#: net area among the leads (local choice: the wave is then isoelectric everywhere).
INDETERMINATE_SHARE = 0.15


def frontal_axis(areas: dict[str, float], beats: tuple[int, ...], wave: str) -> Measured:
    """The axis (degrees, -180 < axis <= 180) of the net ``areas`` (mV*ms) per limb lead.

    Parameters
    ----------
    areas
        Net area of the wave per lead; leads that are not limb leads are ignored.
    beats
        The beats the areas were measured on.
    wave
        "P", "QRS" or "T", for the notes.
    """
    used = [lead for lead in LIMB_LEAD_VECTORS if areas.get(lead) is not None]
    angles = {LIMB_LEAD_VECTORS[lead][0] % 180.0 for lead in used}
    if len(angles) < 2:
        return Measured.missing("deg", f"{wave} axis: fewer than two independent limb leads")
    design = np.array([[g * math.cos(math.radians(a)), g * math.sin(math.radians(a))]
                       for a, g in (LIMB_LEAD_VECTORS[lead] for lead in used)])
    values = np.array([areas[lead] for lead in used])
    (vx, vy), *_ = np.linalg.lstsq(design, values, rcond=None)
    largest = float(np.max(np.abs(values)))
    if largest == 0.0 or math.hypot(vx, vy) < INDETERMINATE_SHARE * largest:
        return Measured(None, "deg", tuple(used), beats,
                        f"{wave} axis indeterminate: nearly isoelectric in every limb lead")
    angle = math.degrees(math.atan2(vy, vx))
    angle = 180.0 if angle <= -180.0 else angle
    return Measured(angle, "deg", tuple(used), beats,
                    f"least-squares frontal vector of the net {wave} areas")
