"""Headless tests of the paper layouts and the caliper conversion (no Qt)."""

from __future__ import annotations

import pytest

from workstation.core.layout import (
    CaliperMeasurement,
    LayoutKind,
    PaperPoint,
    PaperSettings,
    available_kinds,
    compute_layout,
    measure_caliper,
)
from workstation.core.leads import STANDARD_LEADS
from workstation.core.record import Lead

TWELVE = tuple(Lead(name) for name in STANDARD_LEADS)
HOLTER = (Lead("MLII"), Lead("V5"))
FS = 500.0
N = 5000  # 10 s


def layout(kind: LayoutKind, paper: PaperSettings = PaperSettings(), leads=TWELVE, n=N, fs=FS):
    return compute_layout(leads, n, fs, kind, paper)


def test_3x4_rhythm_columns_rows_and_true_time() -> None:
    lay = layout(LayoutKind.STANDARD_3X4_RHYTHM)
    assert lay.kind is LayoutKind.STANDARD_3X4_RHYTHM and not lay.fell_back
    assert len(lay.panels) == 13 and len(lay.rows) == 4
    expected = {
        "I": (0, 1250), "II": (0, 1250), "III": (0, 1250),
        "aVR": (1250, 2500), "aVL": (1250, 2500), "aVF": (1250, 2500),
        "V1": (2500, 3750), "V2": (2500, 3750), "V3": (2500, 3750),
        "V4": (3750, 5000), "V5": (3750, 5000), "V6": (3750, 5000),
    }
    for panel in lay.panels[:12]:
        assert (panel.start, panel.stop) == expected[panel.lead]
    rhythm = lay.panels[12]
    assert rhythm.lead == "II" and rhythm.rhythm and (rhythm.start, rhythm.stop) == (0, 5000)
    assert [p.lead for p in lay.panels if p.row == 0] == ["I", "aVR", "V1", "V4"]


def test_3x4_placement_in_mm_at_25_mm_s() -> None:
    lay = layout(LayoutKind.STANDARD_3X4_RHYTHM)
    x0 = lay.trace_x0_mm
    avr = lay.panels_for("aVR")[0]
    assert avr.x_mm == pytest.approx(x0 + 62.5)  # 2.5 s at 25 mm/s
    assert avr.width_mm == pytest.approx(62.5)
    rhythm = lay.panels[12]
    assert rhythm.width_mm == pytest.approx(250.0)
    # the same sample is at the same x in every row: columns are at their true time
    assert lay.panels_for("V4")[0].x_of(4000) == pytest.approx(rhythm.x_of(4000))
    assert lay.width_mm >= x0 + 250.0
    assert lay.rows[1].baseline_mm - lay.rows[0].baseline_mm == pytest.approx(lay.row_pitch_mm)


def test_speed_and_gain_scale_the_paper() -> None:
    slow = layout(LayoutKind.STANDARD_3X4_RHYTHM)
    fast = layout(LayoutKind.STANDARD_3X4_RHYTHM, PaperSettings(speed_mm_s=50.0))
    assert fast.panels[12].width_mm == pytest.approx(2 * slow.panels[12].width_mm)
    tall = layout(LayoutKind.STANDARD_3X4_RHYTHM, PaperSettings(gain_mm_mv=20.0))
    panel = tall.panels[0]
    assert panel.baseline_mm - panel.y_of(1.0) == pytest.approx(20.0)
    assert tall.row_pitch_mm > slow.row_pitch_mm
    small = layout(LayoutKind.STANDARD_3X4_RHYTHM, PaperSettings(gain_mm_mv=5.0))
    assert small.row_pitch_mm < slow.row_pitch_mm


def test_calibration_pulse_is_1_mv_by_200_ms() -> None:
    for paper in (PaperSettings(), PaperSettings(50.0, 20.0), PaperSettings(25.0, 5.0)):
        lay = layout(LayoutKind.STANDARD_3X4_RHYTHM, paper)
        for row in lay.rows:
            xs, ys = lay.calibration_pulse(row)
            assert ys.max() - ys.min() == pytest.approx(paper.gain_mm_mv)
            assert xs[3] - xs[2] == pytest.approx(0.2 * paper.speed_mm_s)
            assert xs.max() < lay.trace_x0_mm  # the pulse sits before the traces


def test_6x2_limb_left_precordial_right() -> None:
    lay = layout(LayoutKind.SIX_BY_TWO)
    assert len(lay.panels) == 12 and len(lay.rows) == 6
    left = [p for p in lay.panels if p.column == 0]
    right = [p for p in lay.panels if p.column == 1]
    assert [p.lead for p in left] == list(STANDARD_LEADS[:6])
    assert [p.lead for p in right] == list(STANDARD_LEADS[6:])
    assert all((p.start, p.stop) == (0, 2500) for p in left)
    assert all((p.start, p.stop) == (2500, 5000) for p in right)


def test_12x1_full_length_in_standard_order() -> None:
    shuffled = tuple(reversed(TWELVE))
    lay = layout(LayoutKind.TWELVE_BY_ONE, leads=shuffled)
    assert [p.lead for p in lay.panels] == list(STANDARD_LEADS)
    assert all((p.start, p.stop) == (0, N) for p in lay.panels)
    assert lay.panels[0].lead_index == 11  # index into the record's own order


def test_long_record_3x4_shows_the_first_10_s() -> None:
    lay = layout(LayoutKind.STANDARD_3X4_RHYTHM, n=60 * 500)
    assert lay.panels[12].stop == 5000
    late = compute_layout(TWELVE, 60 * 500, FS, LayoutKind.STANDARD_3X4_RHYTHM, start_s=55.0)
    assert (late.panels[12].start, late.panels[12].stop) == (25000, 30000)  # clipped to the end


def test_short_record_columns_split_what_there_is() -> None:
    lay = layout(LayoutKind.STANDARD_3X4_RHYTHM, n=2000)
    assert [(p.start, p.stop) for p in lay.panels if p.row == 0] == [
        (0, 500), (500, 1000), (1000, 1500), (1500, 2000)]


def test_holter_falls_back_to_one_row_per_lead() -> None:
    n = 24 * 3600 * 250
    lay = compute_layout(HOLTER, n, 250.0, LayoutKind.STANDARD_3X4_RHYTHM)
    assert lay.kind is LayoutKind.ONE_ROW_PER_LEAD and lay.fell_back
    assert [p.lead for p in lay.panels] == ["MLII", "V5"]
    assert all((p.start, p.stop) == (0, n) for p in lay.panels)
    assert lay.panels[0].width_mm == pytest.approx(24 * 3600 * 25.0)
    assert available_kinds(HOLTER) == (LayoutKind.ONE_ROW_PER_LEAD,)


def test_derived_leads_are_marked() -> None:
    leads = tuple(Lead(n, derived=n in ("III", "aVR", "aVL", "aVF")) for n in STANDARD_LEADS)
    lay = layout(LayoutKind.STANDARD_3X4_RHYTHM, leads=leads)
    assert {p.lead for p in lay.panels if p.derived} == {"III", "aVR", "aVL", "aVF"}


def test_panel_mapping_round_trips() -> None:
    lay = layout(LayoutKind.STANDARD_3X4_RHYTHM)
    panel = lay.panels_for("V2")[0]
    x = panel.x_of(3000)
    assert panel.sample_at(float(x)) == pytest.approx(3000)
    assert panel.visible_samples(panel.x_mm - 100, panel.end_mm + 100) == (2500, 3750)
    assert panel.visible_samples(0, 1) == (2500, 2500)  # empty: left of the panel
    assert lay.panel_at(PaperPoint(float(x), panel.baseline_mm - 3)) == panel
    assert lay.panel_at(PaperPoint(-50, -50)) is None


@pytest.mark.parametrize(
    ("paper", "dx_mm", "dy_mm", "dt_ms", "dv_mv"),
    [
        (PaperSettings(25, 10), 20.0, 10.0, 800.0, 1.0),
        (PaperSettings(50, 10), 40.0, 10.0, 800.0, 1.0),
        (PaperSettings(25, 20), 5.0, 10.0, 200.0, 0.5),
        (PaperSettings(25, 5), 1.0, -5.0, 40.0, -1.0),
    ],
)
def test_caliper_converts_mm_through_speed_and_gain(paper, dx_mm, dy_mm, dt_ms, dv_mv) -> None:
    start = PaperPoint(30.0, 60.0)
    end = PaperPoint(30.0 + dx_mm, 60.0 - dy_mm)  # y downward: up on paper is positive mV
    m = measure_caliper(start, end, paper)
    assert m.dt_ms == pytest.approx(dt_ms)
    assert m.dv_mv == pytest.approx(dv_mv)
    assert m.rate_bpm == pytest.approx(60000.0 / dt_ms)


def test_caliper_rate_needs_a_width() -> None:
    assert CaliperMeasurement(0.0, 1.0).rate_bpm is None
    assert CaliperMeasurement(-800.0, 0.0).rate_bpm == pytest.approx(75.0)


def test_bad_paper_and_empty_record_are_refused() -> None:
    with pytest.raises(ValueError):
        PaperSettings(speed_mm_s=0)
    with pytest.raises(ValueError):
        compute_layout(TWELVE, 0, FS)
