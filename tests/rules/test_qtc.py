"""QTc formulas against values computed by hand."""

from __future__ import annotations

import pytest

from rules.qtc import FORMULA_NAMES, qtc_ms
from rules.types import QtcFormula


@pytest.mark.parametrize("formula, expected", [
    # QT 360 ms at RR 640 ms (93.75 bpm)
    (QtcFormula.BAZETT, 450.0),               # 360 / sqrt(0.64) = 360 / 0.8
    (QtcFormula.FRIDERICIA, 417.7430),        # 360 / 0.64 ** (1/3) = 360 / 0.861774
    (QtcFormula.FRAMINGHAM, 415.44),          # 360 + 154 * (1 - 0.64)
    (QtcFormula.HODGES, 419.0625),            # 360 + 1.75 * (93.75 - 60)
])
def test_fast_rate(formula, expected):
    assert qtc_ms(formula, 360.0, 640.0) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("formula, expected", [
    # QT 480 ms at RR 1250 ms (48 bpm)
    (QtcFormula.BAZETT, 429.3250),            # 480 / sqrt(1.25)
    (QtcFormula.FRIDERICIA, 445.5925),        # 480 / 1.25 ** (1/3) = 480 / 1.077217
    (QtcFormula.FRAMINGHAM, 441.5),           # 480 + 154 * (1 - 1.25)
    (QtcFormula.HODGES, 459.0),               # 480 + 1.75 * (48 - 60)
])
def test_slow_rate(formula, expected):
    assert qtc_ms(formula, 480.0, 1250.0) == pytest.approx(expected, abs=0.01)


def test_every_formula_is_the_identity_at_60_bpm():
    for formula in QtcFormula:
        assert qtc_ms(formula, 400.0, 1000.0) == pytest.approx(400.0)


def test_every_formula_has_a_name_and_rr_must_be_positive():
    assert set(FORMULA_NAMES) == set(QtcFormula)
    with pytest.raises(ValueError, match="RR"):
        qtc_ms(QtcFormula.BAZETT, 400.0, 0.0)
