"""Which boundary the annotator is working on, and how the keyboard moves between boundaries.

A :class:`Selection` names one boundary (onset, peak or offset) of one wave. The functions
here answer the editor's questions without Qt: which boundary lies under a point of the
paper, which is the next one in time on the lead, the same boundary in the next beat, or in
the next lead. The editor turns the answers into selections and commands.

No Qt, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from workstation.core.annotation import AnnotationState, Boundary
from workstation.core.delineation import Wave, WaveKind
from workstation.core.layout import Panel, PaperLayout, PaperPoint

BOUNDARY_ORDER = (Boundary.ONSET, Boundary.PEAK, Boundary.OFFSET)


@dataclass(frozen=True)
class Selection:
    """One boundary of one wave."""

    wave_id: str
    which: Boundary

    def position(self, state: AnnotationState) -> int:
        """The boundary's sample in ``state``; KeyError when the wave is gone."""
        return int(getattr(state.wave(self.wave_id), self.which.value))


@dataclass(frozen=True)
class Hit:
    """A boundary found under the pointer, with the panel it was found in."""

    selection: Selection
    panel: Panel
    distance_mm: float


def hit_test(layout: PaperLayout, state: AnnotationState, point: PaperPoint,
             tolerance_mm: float) -> Hit | None:
    """The boundary drawn nearest to ``point`` (within ``tolerance_mm`` in x), or None.

    Onset and offset win over a peak at the same distance: they are what annotators move most.
    """
    panel = layout.panel_at(point)
    if panel is None:
        return None
    best: Hit | None = None
    for wave in state.waves_in(panel.lead):
        if wave.offset < panel.start or wave.onset >= panel.stop:
            continue
        for rank, which in enumerate((Boundary.ONSET, Boundary.OFFSET, Boundary.PEAK)):
            sample = getattr(wave, which.value)
            if not panel.start <= sample < panel.stop:
                continue
            distance = abs(float(panel.x_of(sample)) - point.x_mm)
            if distance > tolerance_mm:
                continue
            key = (distance + 1e-3 * rank)
            if best is None or key < best.distance_mm:
                best = Hit(Selection(wave.id, which), panel, key)
    return best


def boundaries_in_time(state: AnnotationState, lead: str) -> list[Selection]:
    """Every boundary on ``lead``, in time order (onset, peak, offset of each wave)."""
    marks = []
    for wave in state.waves_in(lead):
        for which in BOUNDARY_ORDER:
            marks.append((getattr(wave, which.value), BOUNDARY_ORDER.index(which), wave.id, which))
    marks.sort()
    return [Selection(wave_id, which) for _, _, wave_id, which in marks]


def step_boundary(state: AnnotationState, selection: Selection, step: int) -> Selection | None:
    """The boundary ``step`` places after (before, when negative) ``selection`` on its lead."""
    lead = state.wave(selection.wave_id).lead
    marks = boundaries_in_time(state, lead)
    index = marks.index(selection) + step
    return marks[index] if 0 <= index < len(marks) else None


def step_beat(state: AnnotationState, selection: Selection, step: int) -> Selection | None:
    """The same boundary of the same kind of wave, ``step`` beats later (earlier) on the lead."""
    wave = state.wave(selection.wave_id)
    same = list(state.waves_in(wave.lead, wave.kind))
    index = same.index(wave) + step
    return Selection(same[index].id, selection.which) if 0 <= index < len(same) else None


def step_lead(state: AnnotationState, selection: Selection, step: int) -> Selection | None:
    """The same boundary of the matching wave on the next (previous) lead that has one.

    The matching wave is the one of the same kind that overlaps the selected wave most (or,
    when none overlaps, whose onset is nearest). Leads without such a wave are skipped.
    """
    wave = state.wave(selection.wave_id)
    leads = list(state.lead_names)
    index = leads.index(wave.lead)
    while 0 <= index + step < len(leads):
        index += step
        match = matching_wave(state, wave, leads[index])
        if match is not None:
            return Selection(match.id, selection.which)
    return None


def matching_wave(state: AnnotationState, wave: Wave, lead: str) -> Wave | None:
    """The wave on ``lead`` of ``wave``'s kind that belongs to the same beat, or None."""
    candidates = state.waves_in(lead, wave.kind)
    if not candidates:
        return None
    best = max(candidates, key=lambda w: (w.overlap(wave.onset, wave.offset),
                                          -abs(w.onset - wave.onset)))
    limit = max(wave.offset - wave.onset, 1)
    if best.overlap(wave.onset, wave.offset) > 0 or abs(best.onset - wave.onset) <= limit:
        return best
    return None


def first_selection(state: AnnotationState, lead: str, near_sample: int = 0,
                    kind: WaveKind | None = None) -> Selection | None:
    """The onset of the wave on ``lead`` nearest to ``near_sample`` (of ``kind`` when given)."""
    waves = state.waves_in(lead, kind)
    if not waves:
        return None
    wave = min(waves, key=lambda w: abs(w.onset - near_sample))
    return Selection(wave.id, Boundary.ONSET)
