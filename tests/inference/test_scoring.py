"""Boundary matching and scores against hand-made examples with known TP, FP and FN."""

from __future__ import annotations

import math

import numpy as np

from inference.delineation.labels import IGNORE, Label, label_lead
from inference.delineation.scoring import (Boundary, LeadBoundaries, Scores, match,
                                           reference_boundaries)


def _lead(**positions) -> LeadBoundaries:
    return LeadBoundaries({Boundary[name]: np.array(v, dtype=np.int64) for name, v in positions.items()})


def test_match_is_one_to_one_nearest_first_within_tolerance():
    ref = np.array([100, 200, 300])
    pred = np.array([105, 190, 196, 500])
    r, p = match(ref, pred, tolerance=50)
    assert sorted(zip(r.tolist(), p.tolist())) == [(0, 0), (1, 2)]
    # 190 is nearer 200 than 300 but 200 is taken by 196; 300 is 110 away: unmatched
    assert match(np.array([]), pred, 50)[0].size == 0


def test_scores_count_tp_fp_fn_and_errors_in_ms():
    ref = LeadBoundaries({Boundary.QRS_ON: np.array([100, 600, 1100])}, span=(50, 1200))
    # 104 matches 100 (+8 ms at 500 Hz); 590 matches 600 (-20 ms); 1100 missed (nothing within
    # 75 samples); 800 is a false positive; 1300 is outside the annotated span: not counted
    pred = _lead(QRS_ON=[104, 590, 800, 1300])
    scores = Scores()
    scores.add(ref, pred, fs=500.0, tolerance_ms=150.0)
    t = scores[Boundary.QRS_ON]
    assert (t.tp, t.fp, t.fn) == (2, 1, 1)
    assert t.errors_ms == [8.0, -20.0]
    assert math.isclose(t.sensitivity, 2 / 3) and math.isclose(t.ppv, 2 / 3)
    assert math.isclose(t.f1, 2 / 3)
    assert math.isclose(t.mean_ms, -6.0) and math.isclose(t.sd_ms, np.std([8, -20], ddof=1))
    assert scores[Boundary.P_ON].tp == 0 and scores[Boundary.P_ON].f1 == 0.0


def test_reference_boundaries_keep_a_boundary_whose_partner_is_missing():
    samples = [10, 20, 30, 50, 60, 100, 110, 120]
    symbols = ["(", "p", ")", "N", ")", "(", "t", ")"]
    ref = reference_boundaries(samples, symbols)
    assert ref[Boundary.QRS_ON].size == 0 and list(ref[Boundary.QRS_OFF]) == [60]
    assert list(ref[Boundary.P_ON]) == [10] and list(ref[Boundary.T_OFF]) == [120]
    assert ref.span == (10, 120)


def test_labels_mask_unannotated_edges_and_incomplete_marks():
    samples = [10, 20, 30, 50, 60, 70, 100, 110, 120, 140, 150, 160]
    symbols = ["(", "p", ")", "N", ")", "(", "(", "t", ")", "(", "p", ")"]
    labels = label_lead(200, samples, symbols)
    assert (labels[:10] == IGNORE).all() and (labels[161:] == IGNORE).all()
    assert (labels[10:31] == Label.P).all()
    assert (labels[31:100] == IGNORE).all()  # "N)" and a lone "(" : unknown up to the next wave
    assert (labels[100:121] == Label.T).all() and (labels[121:140] == Label.BACKGROUND).all()
