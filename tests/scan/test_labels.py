"""Reading the printed lead names, and the layout they imply."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from workstation.core.leads import STANDARD_LEADS
from workstation.scan.labels import Label, read_labels
from workstation.scan.layout import read_layout

PX_PER_MM = 200 / 25.4


@pytest.mark.parametrize("font", [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX,
                                  cv2.FONT_HERSHEY_TRIPLEX])
def test_each_lead_name_is_read(font):
    (_, capitals), _ = cv2.getTextSize("I", font, 1.0, 1)
    page = np.zeros((200, 120 * len(STANDARD_LEADS)), np.uint8)
    for k, lead in enumerate(STANDARD_LEADS):
        cv2.putText(page, lead, (40 + 120 * k, 100), font, 2.5 * PX_PER_MM / capitals, 255, 2, cv2.LINE_AA)
    nothing = np.array([np.nan])
    labels = read_labels(page > 128, 100.0, 90.0, 40, page.shape[1] - 1, nothing, nothing, 2.0, PX_PER_MM)
    assert [label.lead for label in labels] == list(STANDARD_LEADS)


def _row(*leads: str, width: int = 2000) -> list[Label]:
    return [Label(lead, 10 + k * width / len(leads), 0.0, 20.0, 0.95) for k, lead in enumerate(leads)]


def test_six_rows_are_3x4_with_strips_or_6x2_by_their_names():
    extents = [(0, 2000)] * 6
    strips = [_row("I", "aVR", "V1", "V4"), _row("II", "aVL", "V2", "V5"), _row("III"), _row("II"),
              _row("V1"), _row()]
    layout, leads, confirmed = read_layout(extents, strips)
    assert layout == "3x4+rhythm" and confirmed
    assert leads[3:] == [("II",), ("V1",), None]  # an unread further strip is not guessed
    six_by_two = [_row("I", "V1"), _row(), _row("III", "V3"), _row("aVR", "V4"), _row("aVL"), _row()]
    layout, leads, confirmed = read_layout(extents, six_by_two)
    assert layout == "6x2" and confirmed and leads[3] == ("aVR", "V4")
    layout, _, confirmed = read_layout(extents, [[] for _ in range(6)])
    assert layout == "6x2" and not confirmed


def test_a_strip_lead_read_twice_stays_on_the_better_read_strip_and_a_lone_bar_is_not_lead_i():
    extents = [(0, 2000)] * 6
    rows = [_row("I", "aVR", "V1", "V4"), _row(), _row(),
            [Label("II", 10, 0.0, 20.0, 0.7)], [Label("II", 10, 0.0, 20.0, 0.9)], _row("I")]
    _, leads, _ = read_layout(extents, rows)
    assert leads[3:] == [None, ("II",), None]
    _, leads, _ = read_layout([(0, 2000)] * 4, [*rows[:3], _row("I")])
    assert leads[3] == ("II",)
