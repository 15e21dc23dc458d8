"""Keyboard navigation between boundaries and snapping a dropped boundary to the signal."""

from __future__ import annotations

import numpy as np

from workstation.core.annotation import AnnotationState, Boundary
from workstation.core.delineation import Delineation, Wave, WaveKind
from workstation.core.layout import LayoutKind, PaperPoint, compute_layout
from workstation.core.selection import Selection, hit_test, step_beat, step_boundary, step_lead
from workstation.core.snap import snap_position

FS = 500.0


def state() -> AnnotationState:
    waves = []
    for lead, shift in (("I", 0), ("II", 2), ("III", 40)):
        for beat in range(3):
            base = 100 + 400 * beat + shift
            waves += [Wave(WaveKind.P, lead, base, base + 20, base + 45),
                      Wave(WaveKind.QRS, lead, base + 80, base + 100, base + 125),
                      Wave(WaveKind.T, lead, base + 200, base + 260, base + 320)]
    d = Delineation(FS, ("I", "II", "III"), tuple(waves), "m", "1")
    return AnnotationState.from_proposal(d, 1500)


def test_tab_order_beats_and_leads() -> None:
    s = state()
    qrs = s.waves_in("II", WaveKind.QRS)[0]
    sel = Selection(qrs.id, Boundary.OFFSET)
    nxt = step_boundary(s, sel, 1)
    assert nxt == Selection(s.waves_in("II", WaveKind.T)[0].id, Boundary.ONSET)
    assert step_boundary(s, sel, -1) == Selection(qrs.id, Boundary.PEAK)
    assert step_beat(s, sel, 1) == Selection(s.waves_in("II", WaveKind.QRS)[1].id, Boundary.OFFSET)
    assert step_beat(s, Selection(s.waves_in("II", WaveKind.QRS)[2].id, Boundary.ONSET), 1) is None
    assert step_lead(s, sel, -1) == Selection(s.waves_in("I", WaveKind.QRS)[0].id, Boundary.OFFSET)
    # lead III's first QRS overlaps lead II's: the same beat although 80 ms later
    assert step_lead(s, sel, 1) == Selection(s.waves_in("III", WaveKind.QRS)[0].id, Boundary.OFFSET)


def test_hit_test_finds_the_nearest_marker_within_tolerance() -> None:
    s = state()
    layout = compute_layout_for(s)
    panel = next(p for p in layout.panels if p.lead == "II")
    qrs = s.waves_in("II", WaveKind.QRS)[0]
    near = PaperPoint(float(panel.x_of(qrs.onset)) + 0.3, panel.baseline_mm)
    hit = hit_test(layout, s, near, tolerance_mm=0.5)
    assert hit is not None and hit.selection == Selection(qrs.id, Boundary.ONSET)
    assert hit_test(layout, s, PaperPoint(near.x_mm + 3.0, near.y_mm), tolerance_mm=0.5) is None


def compute_layout_for(s: AnnotationState):
    from workstation.core.record import Lead

    leads = [Lead(name) for name in s.lead_names]
    return compute_layout(leads, s.n_samples, FS, LayoutKind.ONE_ROW_PER_LEAD)


def test_snap_goes_to_the_extremum_and_the_flat_point() -> None:
    t = np.arange(1000) / FS
    signal = np.exp(-((t - 1.0) / 0.04) ** 2)  # a wave peaking at sample 500, flat ~50 ms out
    assert snap_position(signal, FS, 493, Boundary.PEAK) == 500
    onset = snap_position(signal, FS, 482, Boundary.ONSET)
    assert onset < 482 and abs(np.gradient(signal)[onset]) < abs(np.gradient(signal)[482])
    # never outside the allowed range, never further than the search window
    assert 470 <= snap_position(signal, FS, 480, Boundary.ONSET, lo=470, hi=499) <= 499
    assert snap_position(np.full(1000, np.nan), FS, 300, Boundary.PEAK) == 300
