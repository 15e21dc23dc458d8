"""Each set's cross-lead groups and intervals: a worked example, the same figures as the
delineation's own grouping, and kept in the store's set cache between reports."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.store.conftest import synthetic_delineation
from workstation.core.delineation import WaveKind
from workstation.panel.agreement import agreement, delineation_intervals
from workstation.panel.globals import cache_name, group_intervals, set_globals
from workstation.panel.sources import all_sources, load_panel


def test_intervals_of_the_synthetic_beat_worked_by_hand(panel):
    # each beat on lead k starts at 20 + 400 b + (k mod 3): P 0-50, QRS 80-130, T 200-320
    data = load_panel(panel, all_sources(panel))
    info = data.sets["ann1"]["rec-2"]
    g = set_globals(data.waves, info.id, 500.0, 1)
    assert len(g.kind) == 36 and set(g.leads.tolist()) == {12}  # 12 beats x P, QRS, T
    assert g.span == (20, 20 + 11 * 400 + 2 + 320)
    assert g.intervals["PR"] == pytest.approx(80 * 2.0)  # P on (lead 0) to QRS on (lead 0)
    assert g.intervals["QRS"] == pytest.approx(52 * 2.0)  # QRS off on the leads 2 samples late
    assert g.intervals["QT"] == pytest.approx(242 * 2.0)  # QRS on to the latest T off
    assert g.intervals["RR"] == pytest.approx(800.0)
    assert g.intervals["QTc"] == pytest.approx(484.0 / math.sqrt(0.8))  # Bazett


def test_grouping_from_columns_equals_the_delineations_own(panel):
    data = load_panel(panel, all_sources(panel))
    info = data.sets["ann2"]["rec-1"]  # its T offsets on V2 are 15 samples late
    delineation = synthetic_delineation()
    for min_leads in (1, 3):
        g = set_globals(data.waves, data.sets["unet/1.0"]["rec-1"].id, 500.0, min_leads)
        assert g.intervals == pytest.approx(delineation_intervals(delineation, min_leads),
                                            nan_ok=True)
        for k, kind in enumerate((WaveKind.P, WaveKind.QRS, WaveKind.T)):
            groups = delineation.groups(kind)
            assert sorted(zip(g.onset[g.kind == k].tolist(), g.offset[g.kind == k].tolist())) \
                == sorted((x.onset, x.offset) for x in groups)
    late = set_globals(data.waves, info.id, 500.0, 1)
    assert late.intervals["QT"] == pytest.approx(2.0 * (1 + 320 + 15 - 80))  # V2 is lead 7: +1


def test_a_second_report_reads_the_groups_from_the_store(panel):
    first = agreement(load_panel(panel, all_sources(panel))).to_dict()
    ids = [r[0] for r in panel.database.execute(
        "SELECT set_id FROM set_cache WHERE name = ?", [cache_name(1)])]
    assert len(ids) == 4  # the two readers' sets on two records; the model's is min3
    assert panel.database.execute("SELECT count(*) FROM set_cache WHERE name = ?",
                                  [cache_name(3)]).fetchone()[0] == 2
    second = agreement(load_panel(panel, all_sources(panel))).to_dict()
    assert second == first
    assert first["icc"]["QT"]["n"] == 2 and first["pairs"][0]["global"]["T_off"]["n"] > 0


def _intervals_by_definition(groups: list[tuple[int, int, int]], fs: float) -> dict[str, float]:
    """The beat rule spelt out beat by beat (kind 0 P, 1 QRS, 2 T)."""
    ms = 1000.0 / fs
    qrs = sorted((on, off) for k, on, off in groups if k == 1)
    pr, qt = [], []
    for i, (q_on, q_off) in enumerate(qrs):
        prev_off = qrs[i - 1][1] if i else -1
        next_on = qrs[i + 1][0] if i + 1 < len(qrs) else math.inf
        p = [on for k, on, off in groups if k == 0 and prev_off < on and off <= q_on]
        t = [off for k, on, off in groups if k == 2 and on >= q_off and off < next_on]
        if p:
            pr.append((q_on - max(p)) * ms)
        if t:
            qt.append((min(t) - q_on) * ms)
    med = (lambda v: float(np.median(v)) if len(v) else math.nan)
    return {"PR": med(pr), "QRS": med([(off - on) * ms for on, off in qrs]), "QT": med(qt),
            "RR": med(np.diff([on for on, _ in qrs]) * ms)}


def test_sorted_lookups_give_the_beat_rules_intervals_on_random_groups():
    rng = np.random.default_rng(3)
    for _ in range(500):
        n = int(rng.integers(0, 30))
        groups = [(int(k), int(on), int(on + d)) for k, on, d in
                  zip(rng.integers(0, 3, n), rng.integers(0, 2000, n), rng.integers(0, 300, n))]
        kind, onset, offset = (np.array(c, dtype=np.int64).reshape(-1)
                               for c in (zip(*groups) if groups else ([], [], [])))
        got = group_intervals(kind, onset, offset, 250.0)
        expected = _intervals_by_definition(groups, 250.0)
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, nan_ok=True), (name, groups)


def test_identical_leads_skip_the_search_with_the_same_figures(panel):
    import dataclasses

    from workstation.panel.agreement import Disagreement, per_lead_agreement, source_rows

    data = load_panel(panel, all_sources(panel))
    records = sorted(data.records)
    index = {r: i for i, r in enumerate(records)}
    fs, stride = np.full(len(records), 500.0), 6000
    rows = source_rows(data, index, stride)
    common = np.ones(len(records), dtype=bool)
    out = []
    for use_prints in (True, False):
        a, b = rows["ann1"], rows["ann2"]
        if not use_prints:  # every lead searched
            a, b = dataclasses.replace(a, prints={}), dataclasses.replace(b, prints={})
        dis = Disagreement(records, data.waves.lead_names, np.zeros((2, 12)), np.zeros((2, 12)))
        scores = per_lead_agreement(a, b, common, fs, stride, dis)
        out.append(({k: (t.tp, t.fp, t.fn, sorted(np.round(t.errors_ms, 9).tolist()))
                     for k, t in scores.tallies.items()}, dis.total.tolist(), dis.count.tolist()))
    assert out[0] == out[1]
    t_off = [t for k, t in out[0][0].items() if k.label == "T off"][0]
    assert t_off[3].count(30.0) == 12  # V2's 12 T ends, 15 samples (30 ms) late on rec-1


def _random_table(rng, n_sets: int):
    from workstation.store.sets import WaveTable

    columns = []
    for set_id in range(1, n_sets + 1):
        n_leads, beats = int(rng.integers(1, 13)), int(rng.integers(0, 15))
        for lead in range(n_leads):
            for beat in range(beats):
                if rng.random() < 0.15:
                    continue  # a wave missed on this lead
                start = 50 + beat * int(rng.integers(250, 450)) + int(rng.integers(-30, 30))
                for kind, (on, off) in enumerate(((0, 50), (80, 130), (200, 330))):
                    if rng.random() < 0.1:
                        continue
                    a = max(0, start + on + int(rng.integers(-20, 20)))
                    b = a + max(0, off - on + int(rng.integers(-40, 40)))
                    columns.append((set_id, lead, kind, a, a, b))
    rng.shuffle(columns)
    columns.sort(key=lambda c: c[0])  # grouped by set, in no order within
    arrays = np.array(columns, dtype=np.int32).reshape(-1, 6).T
    return WaveTable(*arrays, lead_names=tuple(f"L{i}" for i in range(12)))


def test_many_sets_at_once_give_each_sets_own_figures():
    from workstation.panel.globals import batch_globals

    rng = np.random.default_rng(11)
    for _ in range(10):
        table = _random_table(rng, 25)
        wanted = {i: (float(rng.choice([250.0, 500.0])), int(rng.integers(1, 4)))
                  for i in range(1, 27)}  # set 26 has no waves
        batch = batch_globals(table, wanted)
        for set_id, (fs, min_leads) in wanted.items():
            one, many = set_globals(table, set_id, fs, min_leads), batch[set_id]
            for name in ("kind", "onset", "offset", "leads"):
                assert getattr(many, name).tolist() == getattr(one, name).tolist(), (set_id, name)
            assert many.span == one.span
            assert many.intervals == pytest.approx(one.intervals, nan_ok=True), set_id
