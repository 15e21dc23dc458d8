"""Two annotation sources side by side: their boundaries matched, their differences in ms.

A *source* is anything that places wave boundaries on a record: the model's proposal, the
annotations the file carries (LUDB's cardiologists, an aECG's annotations), the device's
fiducial points, a reader's set in the store, the consensus. Each becomes a tuple of
:class:`Mark` (lead, wave, onset or offset, sample). :func:`compare` matches the marks of two
sources one to one (same lead, wave and boundary, nearest first, within
:data:`MATCH_WINDOW_MS`) and lists the differences, largest first; a mark the other source
lacks counts as a difference of the match window. Only the span both sources annotated on a
lead is compared: LUDB's cardiologists mark the middle beats only, and the model's first and
last beats are not a disagreement with them.

A difference is a *disagreement* when it exceeds the CSE tolerance of its boundary (the SD
of the difference between expert readers accepted by the CSE Working Party: P onset 10.2 ms,
P offset 12.7, QRS onset 6.5, QRS offset 11.6, T offset 30.6; CSE Working Party, "Recommendations
for measurement standards in quantitative electrocardiography", Eur Heart J 1985;6:815-825).
Pure computation over the document model: no Qt.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from workstation.core.annotation import Boundary
from workstation.core.delineation import Delineation, Wave, WaveKind, waves_from_marks
from workstation.core.record import ECGRecord

#: Marks further apart than this (ms) are not the same boundary (the usual matching window
#: of delineation studies, e.g. Martinez et al., IEEE TBME 2004).
MATCH_WINDOW_MS = 150.0
#: CSE tolerance (ms) per (wave, boundary); the T onset has none, 30.6 (the T offset's) is used.
CSE_TOLERANCE_MS = {
    (WaveKind.P, Boundary.ONSET): 10.2, (WaveKind.P, Boundary.OFFSET): 12.7,
    (WaveKind.QRS, Boundary.ONSET): 6.5, (WaveKind.QRS, Boundary.OFFSET): 11.6,
    (WaveKind.T, Boundary.ONSET): 30.6, (WaveKind.T, Boundary.OFFSET): 30.6,
}
#: Device fiducial kinds (as the readers name them, in lower case) -> the mark they are.
FIDUCIAL_MARKS = {
    "p onset": (WaveKind.P, Boundary.ONSET), "p offset": (WaveKind.P, Boundary.OFFSET),
    "qrs onset": (WaveKind.QRS, Boundary.ONSET), "qrs offset": (WaveKind.QRS, Boundary.OFFSET),
    "t onset": (WaveKind.T, Boundary.ONSET), "t offset": (WaveKind.T, Boundary.OFFSET),
}


def _fiducial_mark(kind: str) -> tuple[WaveKind, Boundary] | None:
    return FIDUCIAL_MARKS.get(" ".join(kind.lower().split()))


@dataclass(frozen=True)
class Mark:
    """One boundary as a source placed it."""

    lead: str
    kind: WaveKind
    which: Boundary  # ONSET or OFFSET
    sample: int

    def label(self) -> str:
        return f"{self.kind.value} {self.which.value}"


@dataclass(frozen=True)
class Difference:
    """One boundary in both sources (or in one only), and how far apart (b - a)."""

    lead: str
    kind: WaveKind
    which: Boundary
    a: int | None  # sample in source a (None: a has no such boundary there)
    b: int | None
    fs: float

    @property
    def ms(self) -> float | None:
        """b minus a in ms; None when one source lacks the boundary."""
        return None if self.a is None or self.b is None else (self.b - self.a) * 1000.0 / self.fs

    @property
    def size_ms(self) -> float:
        """How large: |b - a|, or the match window when one source lacks the boundary."""
        ms = self.ms
        return MATCH_WINDOW_MS if ms is None else abs(ms)

    @property
    def tolerance_ms(self) -> float:
        return CSE_TOLERANCE_MS[(self.kind, self.which)]

    @property
    def disagrees(self) -> bool:
        return self.size_ms > self.tolerance_ms

    @property
    def sample(self) -> int:
        """Where it is (the first of the two positions)."""
        return min(s for s in (self.a, self.b) if s is not None)

    def describe(self, name_a: str, name_b: str) -> str:
        """Hover text: which boundary, where each source put it, and the difference."""
        def at(s: int | None) -> str:
            return "none" if s is None else f"{s * 1000.0 / self.fs:.0f} ms"
        ms = self.ms
        diff = (f"{name_b} {ms:+.0f} ms from {name_a}" if ms is not None
                else f"only {name_a if self.b is None else name_b} marks it")
        verdict = "beyond" if self.disagrees else "within"
        return (f"{self.kind.value} {self.which.value} in {self.lead}: {diff}\n"
                f"{name_a}: {at(self.a)}   {name_b}: {at(self.b)}\n"
                f"{verdict} the CSE tolerance ({self.tolerance_ms:g} ms)")


# -- sources as marks ---------------------------------------------------------------------------
def delineation_marks(delineation: Delineation) -> tuple[Mark, ...]:
    """Every onset and offset of ``delineation``'s waves."""
    return tuple(Mark(w.lead, w.kind, which, getattr(w, which.value))
                 for w in delineation.waves for which in (Boundary.ONSET, Boundary.OFFSET))


def file_delineation(record: ECGRecord) -> Delineation | None:
    """The waves the file's own annotations give (LUDB's ``( peak )`` marks per lead, an
    aECG's wave annotations); None when the file has none. Marks without a lead apply to
    every lead."""
    if not record.annotations:
        return None
    waves: list[Wave] = []
    for lead in record.lead_names:
        marks = sorted((a.sample, a.symbol) for a in record.annotations if a.lead in (lead, None))
        waves += waves_from_marks(lead, [m[0] for m in marks], [m[1] for m in marks])
    if not waves:
        return None
    return Delineation(record.fs, record.lead_names, tuple(waves), "file annotations",
                       record.source.format)


def fiducial_marks(record: ECGRecord) -> tuple[Mark, ...]:
    """The device's fiducial points on the rhythm (not the median beat), on their lead or, for
    a global point, on every lead."""
    out = []
    for f in record.device_report.fiducials:
        known = _fiducial_mark(f.kind)
        if known is None or f.on_median:
            continue
        leads = [f.lead] if f.lead in record.lead_names else list(record.lead_names)
        out += [Mark(lead, known[0], known[1], f.sample) for lead in leads]
    return tuple(out)


def median_fiducial_marks(record: ECGRecord) -> tuple[Mark, ...]:
    """The device's fiducial points on its median beat, on every median lead."""
    if record.median_beats is None:
        return ()
    leads = record.median_beats.leads
    return tuple(Mark(lead, *_fiducial_mark(f.kind), f.sample)
                 for f in record.device_report.fiducials
                 if f.on_median and _fiducial_mark(f.kind) is not None for lead in leads)


# -- comparing ------------------------------------------------------------------------------------
def compare(a: tuple[Mark, ...], b: tuple[Mark, ...], fs: float,
            window_ms: float = MATCH_WINDOW_MS) -> list[Difference]:
    """Every boundary of ``a`` and ``b`` matched one to one (nearest pairs first), largest
    difference first; only where both sources annotated the lead."""
    window = window_ms * fs / 1000.0
    out: list[Difference] = []
    groups = {(m.lead, m.kind, m.which) for m in a} | {(m.lead, m.kind, m.which) for m in b}
    for lead, kind, which in groups:
        xs = sorted(m.sample for m in a if (m.lead, m.kind, m.which) == (lead, kind, which))
        ys = sorted(m.sample for m in b if (m.lead, m.kind, m.which) == (lead, kind, which))
        span_a = _lead_span(a, lead)
        span_b = _lead_span(b, lead)
        if span_a is None or span_b is None:
            continue
        # a boundary only one source marks counts where both annotated the lead
        lo, hi = max(span_a[0], span_b[0]), min(span_a[1], span_b[1])
        out += [d for d in _match(xs, ys, window, lambda x, y: Difference(lead, kind, which, x, y, fs))
                if d.ms is not None or lo <= d.sample <= hi]
    return sorted(out, key=lambda d: (-d.size_ms, d.lead, d.sample))


def disagreements(differences: list[Difference]) -> list[Difference]:
    """The differences beyond their CSE tolerance, largest first."""
    return [d for d in differences if d.disagrees]


def _lead_span(marks: tuple[Mark, ...], lead: str) -> tuple[int, int] | None:
    samples = [m.sample for m in marks if m.lead == lead]
    return (min(samples), max(samples)) if samples else None


def _match(xs: list[int], ys: list[int], window: float, make) -> list[Difference]:  # noqa: ANN001
    # both lists are sorted: each x is paired only with the ys inside its window
    pairs = []
    for i, x in enumerate(xs):
        j0 = bisect.bisect_left(ys, x - window)
        j1 = bisect.bisect_right(ys, x + window)
        pairs += [(abs(x - ys[j]), i, j) for j in range(j0, j1)]
    pairs.sort()
    used_x: set[int] = set()
    used_y: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i in used_x or j in used_y:
            continue
        used_x.add(i)
        used_y.add(j)
        out.append(make(xs[i], ys[j]))
    out += [make(x, None) for i, x in enumerate(xs) if i not in used_x]
    out += [make(None, y) for j, y in enumerate(ys) if j not in used_y]
    return out
