"""Heart-rate corrections of the QT interval. Pure functions of QT (ms) and RR (ms).

* Bazett HC, Heart 1920;7:353-370: QTc = QT / sqrt(RR in s).
* Fridericia LS, Acta Med Scand 1920;53:469-486: QTc = QT / cbrt(RR in s).
* Framingham: Sagie A et al., Am J Cardiol 1992;70:797-801: QTc = QT + 154 ms x (1 - RR in s).
* Hodges M et al., J Am Coll Cardiol 1983;1:694 (abstract): QTc = QT + 1.75 ms x (HR - 60 bpm).

The AHA/ACCF/HRS recommends a linear correction (such as Framingham or Hodges) over Bazett's,
which over-corrects at fast rates (Rautaharju PM et al., Circulation 2009;119:e241-e250).
"""

from __future__ import annotations

import math

from rules.types import QtcFormula

#: Names shown with every QTc value.
FORMULA_NAMES = {
    QtcFormula.BAZETT: "Bazett",
    QtcFormula.FRIDERICIA: "Fridericia",
    QtcFormula.FRAMINGHAM: "Framingham",
    QtcFormula.HODGES: "Hodges",
}


def qtc_ms(formula: QtcFormula, qt_ms: float, rr_ms: float) -> float:
    """QT corrected for heart rate by ``formula``.

    Parameters
    ----------
    formula
        Which correction.
    qt_ms
        QT interval (ms).
    rr_ms
        RR interval (ms) the QT belongs to (the mean RR of the record is used by the rules).

    Raises
    ------
    ValueError
        ``rr_ms`` is not positive.
    """
    if rr_ms <= 0:
        raise ValueError(f"RR must be positive, got {rr_ms} ms")
    rr_s = rr_ms / 1000.0
    if formula is QtcFormula.BAZETT:
        return qt_ms / math.sqrt(rr_s)
    if formula is QtcFormula.FRIDERICIA:
        return qt_ms / rr_s ** (1.0 / 3.0)
    if formula is QtcFormula.FRAMINGHAM:
        return qt_ms + 154.0 * (1.0 - rr_s)
    return qt_ms + 1.75 * (60.0 / rr_s - 60.0)
