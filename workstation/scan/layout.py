"""Which paper layout a page is, and which lead each row (and each of its segments) shows.

The number of rows narrows the layout down: 3 rows are a 3x4 page, 4 or 5 a 3x4 page with one
or two rhythm strips, 12 a 12x1 page. Six rows are either 6x2 or 3x4 with three rhythm
strips; only the printed lead names (:mod:`workstation.scan.labels`) tell them apart: a 3x4
page names aVR..V6 in its first three rows and one lead at the start of each strip; a 6x2 page
names aVR, aVL and aVF at the start of its last three rows and V4..V6 half-way along. Each
name read votes for the layouts that print it there. A rhythm strip shows the lead its label
names; an unread strip is left unnamed rather than guessed (lead II is the usual strip, but not
every page's), and so is a strip whose lead another strip's label names better (the digitiser
then names it by its line where that matches one segment's, or leaves it out with a warning).
"""

from __future__ import annotations

from collections.abc import Sequence

from workstation.core.layout import ROWS_3X4, ROWS_6X2, ROWS_12X1
from workstation.scan.labels import Label

KNOWN_LAYOUTS = ("3x4", "3x4+rhythm", "6x2", "12x1")
#: A label within this share of the row's width from its start names the row's first segment.
FIRST_SHARE = 0.15

RowLeads = tuple[str, ...] | None


def read_layout(extents: Sequence[tuple[int, int]],
                labels: Sequence[Sequence[Label]]) -> tuple[str, list[RowLeads], bool]:
    """(layout, the leads of each row left to right or None to leave a row out, whether the
    printed names confirmed the layout) for rows spanning ``extents`` (first, last column)
    with the ``labels`` read in each."""
    n = len(extents)
    firsts = [_first(row, extent) for row, extent in zip(labels, extents)]
    if n == 12:
        return "12x1", list(ROWS_12X1), _votes(labels, ROWS_12X1) > 0
    if n == 3:
        return "3x4", list(ROWS_3X4), _votes(labels, ROWS_3X4) > 0
    if n in (4, 5, 6):
        as_3x4 = _votes(labels[:3], ROWS_3X4) + sum(
            1 for row in labels[3:] if len({label.lead for label in row}) == 1)
        as_6x2 = _votes(labels, ROWS_6X2) if n == 6 else -1
        if n == 6 and as_6x2 >= as_3x4:
            return "6x2", list(ROWS_6X2), as_6x2 > as_3x4
        return "3x4+rhythm", [*ROWS_3X4, *_strips(firsts[3:])], as_3x4 > 0
    return f"{n} rows", [(f"row {r + 1}",) for r in range(n)], False


def _first(row: Sequence[Label], extent: tuple[int, int]) -> Label | None:
    """The label at the start of a row, if one was read."""
    x0, x1 = extent
    for label in row:
        if label.x <= x0 + FIRST_SHARE * (x1 - x0):
            return label
    return None


def _strips(firsts: Sequence[Label | None]) -> list[RowLeads]:
    """The lead of each rhythm strip from its label. A lead read on two strips is kept on the
    better-read one only; "I" is not taken for a strip (a lone bar is the easiest misreading,
    of "II" touching the pulse, say, and lead I is seldom a rhythm strip)."""
    best: dict[str, float] = {}
    for label in firsts:
        if label is not None:
            best[label.lead] = max(best.get(label.lead, 0.0), label.match)
    out: list[RowLeads] = []
    for label in firsts:
        read = label is not None and label.lead != "I" and label.match >= best[label.lead]
        if read and all(label.lead not in (row or ()) for row in out):
            out.append((label.lead,))
        else:
            out.append(None)
    return out


def _votes(labels: Sequence[Sequence[Label]], rows: Sequence[tuple[str, ...]]) -> int:
    """How many labels name a lead the layout prints in their row."""
    return sum(1 for r, row in enumerate(labels) if r < len(rows)
               for label in row if label.lead in rows[r])

