"""A grid is square: x and y scales far apart on a page not flattened from its corners are one
axis misread (workstation.scan.scale.misread_aspect), and the digitiser says so."""

from __future__ import annotations

import pytest

from workstation.scan.scale import ASPECT_TOLERANCE, MISREAD_ASPECT, misread_aspect


@pytest.mark.parametrize(("x", "y", "corners", "expected"), [
    (4.2, 4.2, False, 0.0),             # square
    (4.2, 4.5, False, 0.0),             # within the tolerance a photo's slight tilt leaves
    (3.5, 4.44, False, 4.44 / 3.5 - 1),  # ecg00047: one axis misread
    (4.44, 3.5, False, 4.44 / 3.5 - 1),  # either way round
    (3.5, 4.44, True, 0.0),             # flattened from its corners: the corners' aspect
    (8.0, 3.86, False, 0.0),            # a fax at standard resolution (204 x 98 dpi)
])
def test_scales_far_apart_are_a_misread_axis(x, y, corners, expected):
    assert misread_aspect(x, y, corners) == pytest.approx(expected)


def test_the_limits_are_ordered():
    assert 0.0 < ASPECT_TOLERANCE < MISREAD_ASPECT < 1.0
