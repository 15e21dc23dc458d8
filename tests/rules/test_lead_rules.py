"""ST elevation and depression by the 4th UDMI (contiguous leads, V2-V3 by sex and age),
T-wave inversion and voltage criteria."""

from __future__ import annotations

import pytest

from rules import lead_rules as lr
from rules.types import Severity, Triage
from tests.rules.conftest import context, lead


def st_leads(mm: dict[str, float], **kwargs):
    return {name: lead(name, st=value / 10.0, **kwargs) for name, value in mm.items()}


def test_st_elevation_in_v2_v3_for_a_man_over_40(ruleset):
    flag, _ = lr.st_elevation(context(ruleset, leads=st_leads({"V2": 2.4, "V3": 2.3})))
    assert flag.severity is Severity.ALERT and flag.triage is Triage.ACUTE
    assert flag.leads == ("V2", "V3") and flag.value == pytest.approx(2.4)
    assert flag.threshold == 2.0 and flag.unit == "mm"
    assert "2.4 mm in V2, 2.3 mm in V3 at J" in flag.reason
    assert "threshold 2.0 mm for men >= 40 y in V2-V3" in flag.reason
    assert "(4th UDMI)" in flag.reason


@pytest.mark.parametrize("sex, age, mm, expected", [
    ("M", 55.0, 2.4, Severity.ALERT),        # threshold 2.0
    ("M", 35.0, 2.4, Severity.BORDERLINE),   # threshold 2.5 for men < 40
    ("M", 35.0, 3.0, Severity.ALERT),
    ("F", 35.0, 1.7, Severity.BORDERLINE),   # threshold 1.5 for women
    ("F", 70.0, 2.0, Severity.ALERT),
    ("M", 55.0, 1.5, None),
    (None, None, 2.0, Severity.ALERT),       # sex unknown: the lowest cut-point, 1.5
])
def test_v2_v3_thresholds_by_sex_and_age(ruleset, sex, age, mm, expected):
    ctx = context(ruleset, leads=st_leads({"V2": mm, "V3": mm}), sex=sex, age=age)
    flag, _ = lr.st_elevation(ctx)
    assert (flag.severity if flag else None) is expected


def test_other_leads_use_1_mm(ruleset):
    flag, _ = lr.st_elevation(context(ruleset, leads=st_leads({"II": 1.5, "aVF": 1.4})))
    assert flag.severity is Severity.ALERT and flag.threshold == 1.0
    assert "contiguous: inferior" in flag.reason


@pytest.mark.parametrize("elevated, fires", [
    (("V2", "V3"), True),      # neighbours in the precordial sequence
    (("V2", "V4"), False),     # not neighbours
    (("II", "III"), True),     # both inferior
    (("I", "aVL"), True),      # lateral
    (("I", "V6"), False),      # different groups
    (("aVR",), False),
    (("V5",), False),          # one lead is never enough
])
def test_contiguous_leads(ruleset, elevated, fires):
    ctx = context(ruleset, leads=st_leads({name: 3.0 for name in elevated}))
    assert (lr.st_elevation(ctx)[0] is not None) is fires


def test_discordant_st_elevation_with_wide_qrs_is_only_borderline(ruleset):
    # LBBB-like V2-V3: deep S (2 mV), ST up 3 mm = 15 % of it (Smith's cut-point is 25 %)
    ctx = context(ruleset, leads=st_leads({"V2": 3.0, "V3": 3.0}, r=0.2, s=-2.0), qrs=150.0)
    flag, _ = lr.st_elevation(ctx)
    assert flag.severity is Severity.BORDERLINE and flag.triage is Triage.SUBACUTE
    assert "bundle branch block" in flag.reason


@pytest.mark.parametrize("r, s, why", [
    (1.0, -0.3, "concordant"),       # Sgarbossa: elevation where the QRS is positive
    (0.2, -0.8, "disproportionate"),  # Smith: 3 mm against an S of 8 mm is 38 %
])
def test_st_elevation_with_wide_qrs_counts_when_it_signals_infarction(ruleset, r, s, why):
    ctx = context(ruleset, leads=st_leads({"II": 3.0, "aVF": 3.0}, r=r, s=s), qrs=140.0)
    flag, _ = lr.st_elevation(ctx)
    assert flag.severity is Severity.ALERT and flag.triage is Triage.ACUTE
    assert "Sgarbossa" in flag.reason and why in flag.reason or "concordant" in flag.reason


def test_poor_leads_never_raise_st_elevation(ruleset):
    ctx = context(ruleset, leads=st_leads({"V2": 3.0, "V3": 3.0}), poor=("V3",))
    assert lr.st_elevation(ctx)[0] is None


def test_untrusted_amplitudes_switch_the_amplitude_rules_off(ruleset):
    ctx = context(ruleset, leads=st_leads({"V2": 3.0, "V3": 3.0}), trusted=False)
    assert lr.st_elevation(ctx) == (None, None)
    assert lr.lvh_voltage(ctx) == (None, None)


def test_st_depression_horizontal_or_downsloping_only(ruleset):
    flat = {name: lead(name, st=-0.1, st80=-0.1) for name in ("V5", "V6")}
    flag, _ = lr.st_depression(context(ruleset, leads=flat))
    assert flag.severity is Severity.ALERT and flag.leads == ("V5", "V6")
    assert flag.triage is Triage.SUBACUTE
    upsloping = {name: lead(name, st=-0.1, st80=0.05) for name in ("V5", "V6")}
    assert lr.st_depression(context(ruleset, leads=upsloping))[0] is None
    shallow = {name: lead(name, st=-0.04, st80=-0.04) for name in ("V5", "V6")}
    assert lr.st_depression(context(ruleset, leads=shallow))[0].severity is Severity.BORDERLINE


def test_t_inversion_needs_dominant_r(ruleset):
    inverted = {name: lead(name, r=1.0, s=-0.2, t=-0.25) for name in ("II", "aVF")}
    flag, _ = lr.t_wave_inversion(context(ruleset, leads=inverted))
    assert flag.leads == ("II", "aVF") and flag.value == pytest.approx(2.5)
    rs_leads = {name: lead(name, r=0.2, s=-1.0, t=-0.25) for name in ("V1", "V2")}
    assert lr.t_wave_inversion(context(ruleset, leads=rs_leads))[0] is None


def test_lvh_voltage_sokolow_lyon_and_age(ruleset):
    leads = {"V1": lead("V1", r=0.2, s=-2.0), "V5": lead("V5", r=2.2, s=-0.1)}
    flag, _ = lr.lvh_voltage(context(ruleset, leads=leads))
    assert flag.value == pytest.approx(4.2) and "Sokolow" in flag.measurement
    assert lr.lvh_voltage(context(ruleset, leads=leads, age=25.0))[0] is None


def test_lvh_cornell_is_sex_specific(ruleset):
    leads = {"aVL": lead("aVL", r=1.2, s=-0.1), "V3": lead("V3", r=0.5, s=-1.2)}
    woman, _ = lr.lvh_voltage(context(ruleset, leads=leads, sex="F"))
    assert woman is not None and "women" in woman.measurement
    man, _ = lr.lvh_voltage(context(ruleset, leads=leads, sex="M"))
    assert man is None or man.severity is Severity.BORDERLINE


def test_low_qrs_voltage(ruleset):
    small = {name: lead(name, r=0.2, s=-0.1) for name in ("I", "II", "III", "aVR", "aVL", "aVF")}
    flag, _ = lr.low_qrs_voltage(context(ruleset, leads=small))
    assert flag is not None and "limb" in flag.measurement
    assert lr.low_qrs_voltage(context(ruleset))[0] is None
