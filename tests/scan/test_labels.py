"""Reading the printed lead names, and the layout they imply."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from workstation.core.leads import STANDARD_LEADS
from workstation.scan.labels import Label, lead_from_text, read_labels, read_name_by_text
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
    assert leads[3] is None  # an unread strip is not taken for lead II


def _stems(count: int) -> np.ndarray:
    """A grey word of ``count`` serifed stems, dark on paper."""
    word = np.full((30, 12 * count + 4), 255, np.uint8)
    for k in range(count):
        word[4:26, 5 + 12 * k:9 + 12 * k] = 30
        word[4:7, 2 + 12 * k:12 + 12 * k] = 30
        word[23:26, 2 + 12 * k:12 + 12 * k] = 30
    return word


@pytest.mark.parametrize("text, stems, lead", [
    ("aVR", 0, "aVR"), ("avl", 0, "aVL"), ("a V F", 0, "aVF"), ("V1", 0, "V1"), ("VI", 0, "V1"),
    ("Vl", 0, "V1"), ("v5", 0, "V5"), ("ⅡI", 2, "II"), ("1", 1, "I"), ("III", 3, "III"),
    ("W", 0, None), ("Under 18", 0, None), ("V7", 0, None), ("aVX", 0, None)])
def test_recognised_text_is_read_as_a_lead_name(text, stems, lead):
    # the recogniser's letters name the lead; I, II and III are counted on the word's stems
    assert lead_from_text(text, _stems(stems) if stems else None) == lead


def _serif_font(size: int):
    from PIL import ImageFont

    matplotlib = pytest.importorskip("matplotlib")
    from pathlib import Path

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSerif-Bold.ttf"
    if not path.is_file():
        pytest.skip("no serif font to draw with")
    return ImageFont.truetype(str(path), size)


@pytest.mark.parametrize("name", ["V1", "II", "aVF", "V5"])
def test_a_strip_name_in_a_serif_font_is_read_by_the_recogniser(name):
    # a bold serif name below the start of a strip, as some carts and renderers print it: the
    # templates' fonts do not match it, the page-text recogniser reads it
    pytest.importorskip("rapidocr")
    from PIL import Image, ImageDraw

    ppm = 8.0
    page = np.full((int(40 * ppm), int(120 * ppm), 3), 255, np.uint8)
    for x in range(0, page.shape[1], int(5 * ppm)):
        page[:, x] = (200, 200, 255)
    for y in range(0, page.shape[0], int(5 * ppm)):
        page[y] = (200, 200, 255)
    baseline, x0 = 20 * ppm, int(15 * ppm)
    xs = np.arange(x0, page.shape[1] - 5, dtype=np.float64)
    ys = baseline - 60 * np.exp(-(((xs - x0) % (20 * ppm)) - 10 * ppm) ** 2 / 20.0)
    cv2.polylines(page, [np.round(np.stack([xs, ys], 1)).astype(np.int32)], False, (60, 30, 30), 3)
    image = Image.fromarray(page)
    ImageDraw.Draw(image).text((x0 + 1 * ppm, baseline + 1.5 * ppm), name, fill=(60, 30, 30),
                               font=_serif_font(int(3 * ppm)))
    page = np.asarray(image).copy()
    label = read_name_by_text(page, baseline, 15 * ppm, x0, xs, ys, 1.5, ppm)
    assert label is not None and label.lead == name
    assert abs(label.x - (x0 + 1 * ppm)) < 3 * ppm
