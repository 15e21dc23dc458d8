"""The whole loop from a fresh clone: two blind readers, agreement, adjudication, export,
fine-tuning, and the workstation proposing with the new model version."""

from __future__ import annotations

from pathlib import Path

import inference
from inference.delineation.finetune import FinetuneConfig, finetune
from workstation.core.annotation import Boundary
from workstation.core.commands import MoveBoundary
from workstation.core.delineation import WaveKind
from workstation.io import read_ecg
from workstation.panel.adjudication import adjudication_queue, load_adjudication, submit_consensus
from workstation.panel.agreement import agreement
from workstation.panel.export import Format, export
from workstation.panel.sources import SourceKind, all_sources, load_panel, sets_of
from workstation.store import AnnotationStore, Role

ROOT = Path(__file__).resolve().parents[2]
RECORDS = {"1": ROOT / "tests" / "data" / "ludb" / "1.hea",
           "ludb_2": ROOT / "resources" / "sample" / "ludb_2.hea"}


def test_blind_readers_to_adjudicated_export_to_a_model_the_workstation_uses(
        store_path: Path, tmp_path: Path) -> None:
    with AnnotationStore.open(store_path) as store:
        for who, role in (("ann1", Role.ANNOTATOR), ("ann2", Role.ANNOTATOR),
                          ("adj", Role.ADJUDICATOR)):
            store.add_annotator(who, who, role)
        ids = {}
        for name, path in RECORDS.items():
            record = read_ecg(path)
            ids[name] = store.add_record(record).id
            store.add_proposal(ids[name], inference.delineate(record))
        for reader, shift in (("ann1", 0), ("ann2", 12)):  # ann2 ends T waves 24 ms later
            store.switch_user(reader)
            for record_id in ids.values():
                session = store.open_session(record_id, blind=True)
                assert [s.annotator_id for s in store.visible_sets(record_id)
                        if s.annotator_id] == [reader]  # blind: the other reader is hidden
                t = session.state.waves_in("II", WaveKind.T)[0]
                session.execute(MoveBoundary.of(session.state, t.id, Boundary.OFFSET,
                                                t.offset + shift + 1))
                session.submit()
        readers = [s for s in all_sources(store) if s.kind is SourceKind.ANNOTATOR]
        report = agreement(load_panel(store, readers))
        queue = adjudication_queue(report, threshold_ms=0.2)  # one T end in ~70 on II
        assert {item.record_id for item in queue} == set(ids.values())

        store.switch_user("adj")
        for item in queue:
            sources = {s.name: sets_of(store, s)[item.record_id] for s in all_sources(store)
                       if s.kind is not SourceKind.CONSENSUS}
            adj = load_adjudication(store, item.record_id, sources)
            adj.accept_record("ann1", "ann1's T ends follow the protocol")
            adj.accept_lead("ann2", "II", "on II the T wave ends where ann2 put it")
            assert store.verify_signature(submit_consensus(store, adj, sources).id).valid

        out = tmp_path / "export"
        summary = export(store, out, formats=[Format.ARRAYS, Format.WFDB],
                         records_dirs=[p.parent for p in RECORDS.values()],
                         splits={"train": ["1"], "validation": [], "test": ["ludb_2"]})
        assert summary.sources == ["consensus"] and summary.records == 2

        model = tmp_path / "model.pt"
        figures = finetune(out, model, cfg=FinetuneConfig(epochs=1, batch=4, steps_per_epoch=1),
                           log=lambda _: None)
        try:
            info = inference.set_active_model(model)
            record = read_ecg(RECORDS["ludb_2"])
            proposal = store.add_proposal(ids["ludb_2"], inference.delineate(record))
        finally:
            inference.set_active_model(None)
        assert proposal.model == figures["model"] == f"{info.name}/{info.version}"
        assert {s.model for s in store.find_sets() if s.model} == {
            "ecgws-delineation-unet/1.0.0", figures["model"]}
