"""What the reader has chosen to see: layout, paper, display filters, de-identification, tool.

A frozen value, replaced (never mutated) by the actions in :mod:`workstation.ui.actions`;
the window redraws from it. Nothing here imports Qt, so the transitions are tested headless.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from workstation.core.conditioning import ConditioningSettings
from workstation.core.layout import LayoutKind, PaperSettings


@dataclass(frozen=True)
class ViewState:
    """The view's settings; the default is the standard printout of the raw signal."""

    layout: LayoutKind = LayoutKind.STANDARD_3X4_RHYTHM
    paper: PaperSettings = PaperSettings()
    conditioning: ConditioningSettings = ConditioningSettings()
    deidentified: bool = False
    caliper: bool = False
    show_waves: bool = True  # the delineation overlay
    auto_delineate: bool = True  # run the model when a record opens
    snap: bool = False  # dropped boundaries snap to the local extremum / isoelectric point
    blind: bool = False  # new annotation sets hide other annotators' work
    hide_proposal: bool = False  # new annotation sets start empty, the model's waves unseen

    # -- transitions used by the actions ------------------------------------------------
    def with_layout(self, kind: LayoutKind) -> ViewState:
        return dataclasses.replace(self, layout=kind)

    def with_gain(self, gain_mm_mv: float) -> ViewState:
        return dataclasses.replace(self, paper=dataclasses.replace(self.paper, gain_mm_mv=gain_mm_mv))

    def with_speed(self, speed_mm_s: float) -> ViewState:
        return dataclasses.replace(self, paper=dataclasses.replace(self.paper, speed_mm_s=speed_mm_s))

    def toggle_baseline(self) -> ViewState:
        c = self.conditioning
        return self._conditioned(dataclasses.replace(c, baseline_removal=not c.baseline_removal))

    def toggle_notch(self, hz: float) -> ViewState:
        """Switch the notch to ``hz``, or off when it is already at ``hz`` (50 and 60 exclude)."""
        c = self.conditioning
        return self._conditioned(dataclasses.replace(c, notch_hz=None if c.notch_hz == hz else hz))

    def toggle_lowpass(self, hz: float) -> ViewState:
        c = self.conditioning
        return self._conditioned(dataclasses.replace(c, lowpass_hz=None if c.lowpass_hz == hz else hz))

    def toggle_deidentified(self) -> ViewState:
        return dataclasses.replace(self, deidentified=not self.deidentified)

    def toggle_caliper(self) -> ViewState:
        return dataclasses.replace(self, caliper=not self.caliper)

    def toggle_waves(self) -> ViewState:
        return dataclasses.replace(self, show_waves=not self.show_waves)

    def toggle_auto_delineate(self) -> ViewState:
        return dataclasses.replace(self, auto_delineate=not self.auto_delineate)

    def toggle_snap(self) -> ViewState:
        return dataclasses.replace(self, snap=not self.snap)

    def toggle_blind(self) -> ViewState:
        return dataclasses.replace(self, blind=not self.blind)

    def toggle_hide_proposal(self) -> ViewState:
        """Hiding the model implies blind; showing it again leaves blind as it was."""
        hide = not self.hide_proposal
        return dataclasses.replace(self, hide_proposal=hide, blind=self.blind or hide)

    def _conditioned(self, conditioning: ConditioningSettings) -> ViewState:
        return dataclasses.replace(self, conditioning=conditioning)


def describe_conditioning(settings: ConditioningSettings) -> str:
    """Short text for the display filters, as printed on the paper and in the banner."""
    from workstation.core.conditioning import BASELINE_CUTOFF_HZ

    parts = []
    if settings.baseline_removal:
        parts.append(f"baseline {BASELINE_CUTOFF_HZ:g} Hz HP")
    if settings.notch_hz is not None:
        parts.append(f"{settings.notch_hz:g} Hz notch")
    if settings.lowpass_hz is not None:
        parts.append(f"{settings.lowpass_hz:g} Hz LP")
    return ", ".join(parts) if parts else "none (raw signal)"
