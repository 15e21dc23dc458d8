"""Adjudication: the queue, decisions with rationales, a signed consensus, originals untouched."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from workstation.core.annotation import Boundary, SetStatus
from workstation.core.delineation import Wave, WaveKind
from workstation.panel.adjudication import (Adjudication, adjudication_queue, compare_lead,
                                            load_adjudication, submit_consensus)
from workstation.panel.agreement import agreement
from workstation.panel.export import choose_sources
from workstation.panel.sources import CONSENSUS, all_sources, load_panel, sets_of
from workstation.store import AnnotationStore, StoreError
from workstation.store.audit import verify_store


def test_queue_lists_the_disagreeing_record_and_lead(panel: AnnotationStore) -> None:
    report = agreement(load_panel(panel, all_sources(panel)[:2]))
    (item,) = adjudication_queue(report, threshold_ms=4.0)
    assert item.record_id == "rec-1"
    assert [lead for lead, _ in item.leads] == ["V2"]
    assert item.leads[0][1] == pytest.approx(30.0 / 6)  # T off 30 ms apart, 5 others agree
    assert adjudication_queue(report, threshold_ms=6.0) == []


def test_compare_lead_shows_differences_in_ms(panel: AnnotationStore) -> None:
    sources = {s.name: sets_of(panel, s)["rec-1"] for s in all_sources(panel)}
    versions = {name: panel.load(info.id) for name, info in sources.items()}
    rows = [r for r in compare_lead(versions, "V2") if r.kind is WaveKind.T]
    assert len(rows) == 12
    assert rows[0].difference_ms("ann2", "ann1", Boundary.OFFSET) == pytest.approx(30.0)
    assert rows[0].spread_ms(Boundary.ONSET) == 0.0


def test_consensus_is_signed_adjudicated_with_provenance(panel: AnnotationStore,
                                                         store_path: Path) -> None:
    sources = {s.name: sets_of(panel, s)["rec-1"] for s in all_sources(panel)}
    with pytest.raises(StoreError, match="adjudicator role"):
        load_adjudication(panel, "rec-1", sources)
    panel.switch_user("adj")
    adj = load_adjudication(panel, "rec-1", sources)
    before = {name: panel.load(info.id) for name, info in sources.items()}
    adj.accept_record("ann1", "ann1 followed the protocol")
    adj.accept_lead("ann2", "V2", "T end at the tangent's crossing, as ann2 marked")
    qrs = adj.versions["unet/1.0"].waves_in("I", WaveKind.QRS)[0]
    adj.accept_wave("unet/1.0", qrs, "the model's onset is at the first deflection")
    own = Wave(WaveKind.P, "I", 25, 40, 75)
    adj.place(own, "notched P wave, both readers cut it short")
    with pytest.raises(ValueError, match="rationale"):
        adj.place(own, "  ")
    info = submit_consensus(panel, adj, sources)
    assert info.status is SetStatus.ADJUDICATED and info.annotator_id == "adj"
    assert panel.verify_signature(info.id).valid
    consensus = panel.load(info.id)
    v2_t = consensus.waves_in("V2", WaveKind.T)
    assert [w.offset for w in v2_t] == [w.offset for w in before["ann2"].waves_in("V2", WaveKind.T)]
    assert {consensus.waves[w.id].provenance.annotator for w in v2_t} == {"ann2"}
    assert consensus.waves[qrs.id].provenance.model == "unet/1.0"
    assert consensus.waves[own.id].provenance.annotator == "adj"
    assert own.id in consensus.waves and "I/P/20" not in consensus.waves  # replaced
    for name, info_ in sources.items():  # the readers' sets and the model's are untouched
        assert panel.load(info_.id) == before[name]
    assert [s.name for s in choose_sources(panel, None)] == [CONSENSUS]
    report = verify_store(store_path)
    assert report.ok, report.problems


def test_boundary_decision_and_undo(panel: AnnotationStore) -> None:
    base = panel.load(sets_of(panel, all_sources(panel)[0])["rec-1"].id)
    adj = Adjudication("rec-1", {"ann1": base}, "adj")
    adj.accept_lead("ann1", "II", "reference")
    wave = base.waves_in("II", WaveKind.T)[0]
    later = dataclasses.replace(wave, offset=wave.offset + 10)
    adj.accept_boundary("ann1", later, Boundary.OFFSET, "end of the T wave at the baseline")
    moved = adj.result().waves_in("II", WaveKind.T)[0]
    assert moved.offset == wave.offset + 10 and moved.onset == wave.onset
    assert adj.undo() is not None
    assert adj.result().waves_in("II", WaveKind.T)[0].offset == wave.offset
    assert adj.result().waves_in("I") == ()  # leads without a decision stay empty
    with pytest.raises(ValueError, match="no version"):
        adj.accept_record("nobody", "x")
