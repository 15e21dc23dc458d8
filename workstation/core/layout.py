"""Standard ECG paper layouts as data: which lead, which samples, and where on the paper.

A layout is computed once from the record's leads, its length and the paper settings; the
Qt layer only draws what it describes. Paper coordinates are millimetres from the top-left
corner of the sheet, x to the right and y *downward* (as on a printout), so a positive
voltage is drawn at a smaller y than its baseline.

The standard resting-ECG presentations follow the conventional 12-lead printout (AHA/ACCF/HRS
recommendations for the standardization and interpretation of the ECG, Part I, Kligfield et
al., Circulation 2007;115:1306-1324): 25 mm/s and 10 mm/mV, a 1 mV calibration pulse at the
start of each row, "3x4" columns I-III | aVR-aVF | V1-V3 | V4-V6 of 2.5 s each at their true
time in the 10 s recording, plus a 10 s rhythm strip (lead II).

Nothing here imports Qt.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from workstation.core.leads import LIMB_LEADS, STANDARD_LEADS
from workstation.core.record import ECGRecord, Lead

#: Paper speeds (mm/s) and gains (mm/mV) the workstation offers; the first ones are standard.
PAPER_SPEEDS_MM_S: tuple[float, ...] = (25.0, 50.0)
GAINS_MM_MV: tuple[float, ...] = (10.0, 5.0, 20.0)

#: Length of a standard resting ECG and of the window the 3x4 and 6x2 layouts show (s).
STANDARD_WINDOW_S = 10.0
#: Calibration pulse: 1 mV high, 200 ms wide (the classic "standardisation" box).
CAL_PULSE_MV = 1.0
CAL_PULSE_S = 0.2
#: Flat baseline drawn before and after the pulse (mm).
CAL_LEAD_MM = 1.5
#: One large box; margins and baselines are kept on large-box lines so that time and
#: voltage can be counted from the grid.
MAJOR_MM = 5.0
TOP_MARGIN_MM = 5.0
RIGHT_MARGIN_MM = 5.0
FOOTER_MM = 10.0
MIN_ROW_PITCH_MM = 15.0
#: Single-column layouts (12x1, one row per lead) print the lead name left of the pulse.
LABEL_MARGIN_MM = 10.0

PRECORDIAL_LEADS: tuple[str, ...] = STANDARD_LEADS[6:]
_COLUMNS_3X4: tuple[tuple[str, ...], ...] = (
    ("I", "II", "III"), ("aVR", "aVL", "aVF"), ("V1", "V2", "V3"), ("V4", "V5", "V6"),
)
_COLUMNS_6X2: tuple[tuple[str, ...], ...] = (LIMB_LEADS, PRECORDIAL_LEADS)


class LayoutKind(enum.Enum):
    """The presentations a reader can choose."""

    STANDARD_3X4_RHYTHM = "3x4+rhythm"
    SIX_BY_TWO = "6x2"
    TWELVE_BY_ONE = "12x1"
    ONE_ROW_PER_LEAD = "rows"  # any record: every lead, full length, one row each


@dataclass(frozen=True)
class PaperSettings:
    """Paper speed and gain: the two numbers that turn millimetres into seconds and millivolts."""

    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0

    def __post_init__(self) -> None:
        if not (self.speed_mm_s > 0 and self.gain_mm_mv > 0):
            raise ValueError(f"speed and gain must be positive, got {self.speed_mm_s}, {self.gain_mm_mv}")

    def mm_to_s(self, dx_mm: float) -> float:
        return dx_mm / self.speed_mm_s

    def s_to_mm(self, seconds: float) -> float:
        return seconds * self.speed_mm_s

    def mm_to_mv(self, dy_mm: float) -> float:
        return dy_mm / self.gain_mm_mv

    def mv_to_mm(self, mv: float) -> float:
        return mv * self.gain_mm_mv

    def describe(self) -> str:
        return f"{self.speed_mm_s:g} mm/s  {self.gain_mm_mv:g} mm/mV"


class PaperPoint(NamedTuple):
    """A point on the paper in mm (y downward)."""

    x_mm: float
    y_mm: float


@dataclass(frozen=True)
class Panel:
    """One lead drawn over one range of samples at one place on the paper."""

    lead: str
    lead_index: int  # index into the record's leads
    derived: bool
    start: int  # first sample shown
    stop: int  # one past the last sample shown
    row: int
    column: int
    x_mm: float  # paper x of sample ``start``
    baseline_mm: float  # paper y of 0 mV
    mm_per_sample: float
    mm_per_mv: float
    rhythm: bool = False

    @property
    def n_samples(self) -> int:
        return self.stop - self.start

    @property
    def width_mm(self) -> float:
        return self.n_samples * self.mm_per_sample

    @property
    def end_mm(self) -> float:
        return self.x_mm + self.width_mm

    def x_of(self, sample: float | np.ndarray) -> float | np.ndarray:
        """Paper x (mm) of a sample index (absolute, in record samples)."""
        return self.x_mm + (np.asarray(sample, dtype=np.float64) - self.start) * self.mm_per_sample

    def y_of(self, mv: float | np.ndarray) -> float | np.ndarray:
        """Paper y (mm) of a voltage in mV (y grows downward)."""
        return self.baseline_mm - np.asarray(mv, dtype=np.float64) * self.mm_per_mv

    def sample_at(self, x_mm: float) -> float:
        """Record sample index (fractional) under paper x, not clipped to the panel."""
        return self.start + (x_mm - self.x_mm) / self.mm_per_sample

    def visible_samples(self, x0_mm: float, x1_mm: float) -> tuple[int, int]:
        """The part of ``start:stop`` that paper x range [x0, x1] shows (may be empty)."""
        lo = max(self.start, math.floor(self.sample_at(min(x0_mm, x1_mm))))
        hi = min(self.stop, math.ceil(self.sample_at(max(x0_mm, x1_mm))) + 1)
        return lo, max(lo, hi)


@dataclass(frozen=True)
class Row:
    """A row of the printout: its baseline and where its calibration pulse starts."""

    index: int
    baseline_mm: float
    calibration_x_mm: float


@dataclass(frozen=True)
class PaperLayout:
    """Everything needed to draw a record on paper."""

    kind: LayoutKind  # what is drawn
    requested: LayoutKind  # what was asked for (differs when the record cannot be shown so)
    paper: PaperSettings
    fs: float
    panels: tuple[Panel, ...]
    rows: tuple[Row, ...]
    row_pitch_mm: float
    trace_x0_mm: float
    width_mm: float
    height_mm: float

    @property
    def fell_back(self) -> bool:
        return self.kind is not self.requested

    @property
    def single_column(self) -> bool:
        """One lead per row: lead names go in the left margin, before the pulse."""
        return self.kind in (LayoutKind.TWELVE_BY_ONE, LayoutKind.ONE_ROW_PER_LEAD)

    def panels_for(self, lead: str) -> tuple[Panel, ...]:
        return tuple(p for p in self.panels if p.lead == lead)

    def panel_at(self, point: PaperPoint) -> Panel | None:
        """The panel whose band (row, time range) contains ``point``, or None."""
        for panel in self.panels:
            in_row = abs(point.y_mm - panel.baseline_mm) <= self.row_pitch_mm / 2
            if in_row and panel.x_mm <= point.x_mm <= panel.end_mm:
                return panel
        return None

    def calibration_pulse(self, row: Row) -> tuple[np.ndarray, np.ndarray]:
        """Paper x and y (mm) of the 1 mV x 200 ms calibration pulse of ``row``."""
        x0 = row.calibration_x_mm
        x1 = x0 + CAL_LEAD_MM
        x2 = x1 + self.paper.s_to_mm(CAL_PULSE_S)
        top = row.baseline_mm - self.paper.mv_to_mm(CAL_PULSE_MV)
        xs = np.array([x0, x1, x1, x2, x2, x2 + CAL_LEAD_MM])
        ys = np.array([row.baseline_mm, row.baseline_mm, top, top, row.baseline_mm, row.baseline_mm])
        return xs, ys


# -- choosing a layout ------------------------------------------------------------------
def has_standard_leads(names: Sequence[str]) -> bool:
    """True when all twelve standard leads are present."""
    return set(STANDARD_LEADS) <= set(names)


def available_kinds(leads: Sequence[Lead]) -> tuple[LayoutKind, ...]:
    """Layouts that can show these leads as they are meant to be shown."""
    if has_standard_leads([lead.name for lead in leads]):
        return tuple(LayoutKind)
    return (LayoutKind.ONE_ROW_PER_LEAD,)


def compute_layout(
    leads: Sequence[Lead],
    n_samples: int,
    fs: float,
    kind: LayoutKind = LayoutKind.STANDARD_3X4_RHYTHM,
    paper: PaperSettings = PaperSettings(),
    *,
    start_s: float = 0.0,
    rhythm_lead: str | Sequence[str] = "II",
) -> PaperLayout:
    """Lay a record's leads out on paper.

    Parameters
    ----------
    leads
        The record's leads, in record order (``ECGRecord.leads``).
    n_samples, fs
        Record length in samples and sampling rate in Hz.
    kind
        Requested presentation. Records without the twelve standard leads (e.g. a two-lead
        Holter, MLII/V5) fall back to :attr:`LayoutKind.ONE_ROW_PER_LEAD`.
    paper
        Speed and gain.
    start_s
        Start of the 10 s window that 3x4 and 6x2 show (clipped to the record).
    rhythm_lead
        Lead of the 3x4 rhythm strip, or the leads of its strips (a page printed with three,
        V1, II and V5 say, one row each, or with none: :func:`rhythm_leads`).

    Returns
    -------
    PaperLayout
    """
    if n_samples <= 0 or fs <= 0:
        raise ValueError(f"cannot lay out {n_samples} samples at {fs} Hz")
    effective = kind if kind in available_kinds(leads) else LayoutKind.ONE_ROW_PER_LEAD
    names = [lead.name for lead in leads]
    if effective is LayoutKind.STANDARD_3X4_RHYTHM:
        strips = (rhythm_lead,) if isinstance(rhythm_lead, str) else tuple(rhythm_lead)
        rows = [*_columns_to_rows(_COLUMNS_3X4), *([lead] for lead in strips)]
        window = _standard_window(n_samples, fs, start_s)
    elif effective is LayoutKind.SIX_BY_TWO:
        rows = _columns_to_rows(_COLUMNS_6X2)
        window = _standard_window(n_samples, fs, start_s)
    elif effective is LayoutKind.TWELVE_BY_ONE:
        rows = [[name] for name in STANDARD_LEADS]
        window = (0, n_samples)
    else:
        rows = [[name] for name in names]
        window = (0, n_samples)
    return _place(rows, leads, window, fs, paper, effective, kind)


#: A digitised lead counts as a printed rhythm strip when it holds a value over at least this
#: share of the 10 s window (a 3x4 segment holds 2.5 s of it).
STRIP_COVERAGE = 0.8


def rhythm_leads(record: ECGRecord, start_s: float = 0.0) -> tuple[str, ...]:
    """The leads of a 3x4 sheet's rhythm strips: lead II, except on a record digitised from a
    page, which has the strips the page printed (V1 alone, say, or V1, II and V5, a strip
    whose name was not read, or none).

    A digitised 3x4 page holds only 2.5 s of each lead outside its strips, so drawing lead II
    under the rows would show 2.5 s of II and hide the page's strips, or add one it never
    printed; the strips are the leads that cover the window, II first where it does, then in
    the record's order."""
    if record.digitisation is None:
        return ("II",)
    window = _standard_window(record.n_samples, record.fs, start_s)
    signals = record.window(*window)
    covered = [lead.name for lead, x in zip(record.leads, signals)
               if np.isfinite(x).mean() >= STRIP_COVERAGE]
    return tuple(sorted(covered, key=lambda name: name != "II"))


def rhythm_lead(record: ECGRecord, start_s: float = 0.0) -> str | None:
    """The lead of a 3x4 sheet's first rhythm strip, None for a page printed without one (see
    :func:`rhythm_leads`)."""
    strips = rhythm_leads(record, start_s)
    return strips[0] if strips else None


def _columns_to_rows(columns: Sequence[Sequence[str]]) -> list[list[str]]:
    return [list(row) for row in zip(*columns, strict=True)]


#: The leads of each printed row, left to right, of the standard sheets (a 3x4 sheet's rhythm
#: strips come after these rows); what a digitiser expects to find on a page.
ROWS_3X4: tuple[tuple[str, ...], ...] = tuple(map(tuple, _columns_to_rows(_COLUMNS_3X4)))
ROWS_6X2: tuple[tuple[str, ...], ...] = tuple(map(tuple, _columns_to_rows(_COLUMNS_6X2)))
ROWS_12X1: tuple[tuple[str, ...], ...] = tuple((name,) for name in STANDARD_LEADS)


def _standard_window(n_samples: int, fs: float, start_s: float) -> tuple[int, int]:
    length = min(n_samples, round(STANDARD_WINDOW_S * fs))
    start = min(max(0, round(start_s * fs)), n_samples - length)
    return start, start + length


def row_pitch_mm(kind: LayoutKind, n_rows: int, paper: PaperSettings) -> float:
    """Distance between row baselines: room for about +-2 mV in a 3x4, less when rows are many."""
    if kind is LayoutKind.STANDARD_3X4_RHYTHM:
        pitch_mv = 4.0 if n_rows <= 4 else 3.0  # three strips: rows closer, as printers set them
    elif n_rows <= 3:
        pitch_mv = 5.0
    elif n_rows <= 6:
        pitch_mv = 3.5
    else:
        pitch_mv = 2.5
    pitch = _round_up(paper.mv_to_mm(pitch_mv), MAJOR_MM)
    return max(MIN_ROW_PITCH_MM, pitch)


def trace_x0_mm(paper: PaperSettings, label_margin_mm: float = 0.0) -> float:
    """Where traces start: after the label margin and the calibration pulse, on a large-box line."""
    pulse = 2 * CAL_LEAD_MM + paper.s_to_mm(CAL_PULSE_S)
    return _round_up(MAJOR_MM / 2 + label_margin_mm + pulse + 2.0, MAJOR_MM)


def _place(
    rows: Sequence[Sequence[str]],
    leads: Sequence[Lead],
    window: tuple[int, int],
    fs: float,
    paper: PaperSettings,
    kind: LayoutKind,
    requested: LayoutKind,
) -> PaperLayout:
    pitch = row_pitch_mm(kind, len(rows), paper)
    margin = LABEL_MARGIN_MM if kind in (LayoutKind.TWELVE_BY_ONE, LayoutKind.ONE_ROW_PER_LEAD) else 0.0
    x0 = trace_x0_mm(paper, margin)
    mm_per_sample = paper.speed_mm_s / fs
    index = {lead.name: i for i, lead in enumerate(leads)}
    panels: list[Panel] = []
    row_items: list[Row] = []
    for r, row_leads in enumerate(rows):
        baseline = TOP_MARGIN_MM + _round_up(pitch * (r + 0.5), MAJOR_MM)
        row_items.append(Row(r, baseline, MAJOR_MM / 2 + margin))
        rhythm = kind is LayoutKind.STANDARD_3X4_RHYTHM and r >= len(_COLUMNS_3X4[0])
        bounds = _split(window, len(row_leads))
        for c, name in enumerate(row_leads):
            start, stop = bounds[c], bounds[c + 1]
            panels.append(Panel(
                lead=name, lead_index=index[name], derived=leads[index[name]].derived,
                start=start, stop=stop, row=r, column=c,
                x_mm=x0 + (start - window[0]) * mm_per_sample, baseline_mm=baseline,
                mm_per_sample=mm_per_sample, mm_per_mv=paper.gain_mm_mv, rhythm=rhythm,
            ))
    width = x0 + (window[1] - window[0]) * mm_per_sample + RIGHT_MARGIN_MM
    height = TOP_MARGIN_MM + pitch * len(rows) + FOOTER_MM
    return PaperLayout(kind, requested, paper, float(fs), tuple(panels), tuple(row_items),
                       pitch, x0, width, height)


def _split(window: tuple[int, int], n: int) -> list[int]:
    """``n + 1`` sample boundaries cutting ``window`` into ``n`` equal columns."""
    start, stop = window
    return [start + round(k * (stop - start) / n) for k in range(n + 1)]


def _round_up(value: float, step: float) -> float:
    return math.ceil(value / step - 1e-9) * step


# -- calipers ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CaliperMeasurement:
    """What a caliper between two paper points reads."""

    dt_ms: float  # end minus start; negative when dragged leftward
    dv_mv: float  # positive when the end is higher on the paper than the start

    @property
    def rate_bpm(self) -> float | None:
        """Rate for an R-R interval of |dt| (60 000 / ms), or None for a zero-width caliper."""
        if abs(self.dt_ms) < 1.0:
            return None
        return 60_000.0 / abs(self.dt_ms)


def measure_caliper(start: PaperPoint, end: PaperPoint, paper: PaperSettings) -> CaliperMeasurement:
    """Convert a caliper drawn on paper (mm) into time and voltage at the current speed/gain.

    Examples
    --------
    >>> m = measure_caliper(PaperPoint(10, 50), PaperPoint(30, 40), PaperSettings())
    >>> m.dt_ms, m.dv_mv, m.rate_bpm
    (800.0, 1.0, 75.0)
    """
    dt_ms = paper.mm_to_s(end.x_mm - start.x_mm) * 1000.0
    dv_mv = paper.mm_to_mv(start.y_mm - end.y_mm)
    return CaliperMeasurement(dt_ms, dv_mv)
