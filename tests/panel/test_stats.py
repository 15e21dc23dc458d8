"""The agreement statistics against published worked examples."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from workstation.panel import stats
from workstation.panel.matching import greedy_match
from inference.delineation.scoring import match


def test_fleiss_kappa_reproduces_fleiss_1971_example() -> None:
    # 10 subjects, 14 raters, 5 categories: the example of Fleiss (1971) as reproduced in the
    # Wikipedia article "Fleiss' kappa": kappa = 0.210
    table = np.array([[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
                      [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
                      [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]])
    est = stats.fleiss_from_table(table)
    assert est.value == pytest.approx(0.210, abs=5e-4)
    assert est.low < est.value < est.high and est.n == 10


def test_cohen_kappa_reproduces_textbook_example() -> None:
    # 50 grant proposals read by two readers: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no;
    # p_o = 0.7, p_e = 0.5, kappa = 0.4 (Wikipedia, "Cohen's kappa")
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    est = stats.cohen_kappa(a, b)
    assert est.value == pytest.approx(0.4)
    assert est.low < 0.4 < est.high


def test_krippendorff_alpha_reproduces_krippendorffs_example() -> None:
    # 4 observers, 12 units, nominal data with missing values: alpha = 0.743
    # (Krippendorff, "Computing Krippendorff's alpha-reliability", 2011, section C)
    n = np.nan
    data = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
                     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
                     [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
                     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]])
    est = stats.krippendorff_alpha(data)
    assert est.value == pytest.approx(0.743, abs=5e-4)
    assert est.n == 11  # the last unit has one rating only: not pairable


def test_icc_reproduces_shrout_fleiss_1979_table() -> None:
    # 6 targets x 4 judges (Shrout & Fleiss 1979, Table 2): ICC(2,1) = 0.29
    ratings = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
                        [6, 2, 4, 7]])
    est = stats.icc(ratings)
    assert est.value == pytest.approx(0.29, abs=5e-3)
    assert est.low == pytest.approx(0.02, abs=5e-3) and est.high == pytest.approx(0.76, abs=5e-3)


def test_bland_altman_limits() -> None:
    ba = stats.bland_altman([100, 110, 120, 130, float("nan")], [102, 114, 118, 136, 90])
    assert ba.n == 4 and ba.bias == pytest.approx(2.5)
    assert ba.upper - ba.bias == pytest.approx(1.96 * np.std([2, 4, -2, 6], ddof=1))


def test_undefined_statistics_are_nan_not_errors() -> None:
    assert math.isnan(stats.cohen_kappa(["a", "a"], ["a", "a"]).value)
    assert math.isnan(stats.fleiss_kappa(np.zeros((5, 3), dtype=int)).value)
    assert stats.icc(np.ones((4, 2))).to_dict()["value"] is None


def test_vectorised_matching_equals_evaluates_matching() -> None:
    rng = np.random.default_rng(7)
    for _ in range(2000):
        ref = np.sort(rng.integers(0, 400, rng.integers(0, 15)))
        pred = np.sort(rng.integers(0, 400, rng.integers(0, 15)))
        tol = float(rng.integers(1, 80))
        expected = sorted(zip(*(x.tolist() for x in match(ref, pred, tol))))
        got = sorted(zip(*(x.tolist() for x in greedy_match(ref, pred, tol))))
        assert got == expected
    # many leads end to end, each with its own tolerance (records at other sampling rates)
    for _ in range(300):
        leads = int(rng.integers(1, 6))
        tols = rng.integers(1, 80, leads)
        refs = [np.sort(rng.integers(0, 400, rng.integers(0, 15))) + 1000 * k for k in range(leads)]
        preds = [np.sort(rng.integers(0, 400, rng.integers(0, 15))) + 1000 * k for k in range(leads)]
        expected = []
        for k in range(leads):
            ri, pi = match(refs[k], preds[k], float(tols[k]))
            expected += [(sum(map(len, refs[:k])) + a, sum(map(len, preds[:k])) + b)
                         for a, b in zip(ri.tolist(), pi.tolist())]
        ref, pred = np.concatenate(refs), np.concatenate(preds)
        tol = np.repeat(tols, [len(x) for x in refs]).astype(float)
        assert sorted(zip(*(x.tolist() for x in greedy_match(ref, pred, tol)))) == sorted(expected)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_icc_equals_pingouin(seed: int) -> None:
    pingouin = pytest.importorskip("pingouin", reason="pingouin is in the [test] extra")
    import pandas as pd

    rng = np.random.default_rng(seed)
    truth = rng.normal(400, 30, size=12)
    ratings = truth[:, None] + rng.normal(0, 10, size=(12, 3)) + np.array([0, 5, -8])
    subjects, raters = np.meshgrid(np.arange(12), np.arange(3), indexing="ij")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pingouin's use of deprecated pandas keywords
        table = pingouin.intraclass_corr(
            pd.DataFrame({"s": subjects.ravel(), "r": raters.ravel(), "y": ratings.ravel()}),
            targets="s", raters="r", ratings="y").set_index("Type")
    row = table.loc["ICC(A,1)" if "ICC(A,1)" in table.index else "ICC2"]  # names by version
    est = stats.icc(ratings)
    assert est.value == pytest.approx(row["ICC"], abs=1e-9)
    # pingouin rounds its interval to two decimals
    assert est.low == pytest.approx(row["CI95"][0], abs=0.005)
    assert est.high == pytest.approx(row["CI95"][1], abs=0.005)
