"""Fixtures for the panel tests: a real file keyring, stores in tmp_path, LUDB records."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterator

import pytest

from tests.store.conftest import file_keyring  # noqa: F401  (autouse: never the OS keyring)
from tests.store.conftest import synthetic_delineation, synthetic_record
from workstation.core.annotation import AnnotationState
from workstation.core.delineation import WaveKind
from workstation.store import AnnotationStore, Role

#: LUDB test-split records scored by the agreement-vs-evaluate test.
LUDB_RECORDS = ("5", "10", "15")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "panel.ecgws"


def _shifted(state: AnnotationState, lead: str, kind: WaveKind, by: int) -> AnnotationState:
    """``state`` with every ``kind`` offset on ``lead`` moved by ``by`` samples."""
    waves = {}
    for key, a in state.waves.items():
        w = a.wave
        if w.lead == lead and w.kind is kind:
            w = dataclasses.replace(w, offset=w.offset + by)
        waves[key] = dataclasses.replace(a, wave=w)
    return dataclasses.replace(state, waves=waves)


@pytest.fixture
def panel(store_path: Path) -> Iterator[AnnotationStore]:
    """Two readers on two records who disagree on the T offsets of lead V2 of rec-1 (by 30 ms)."""
    store = AnnotationStore.open(store_path)
    store.add_annotator("adj", "Adjudicator", Role.ADJUDICATOR)
    base = AnnotationState.from_proposal(synthetic_delineation(), 5000)
    for record_id in ("rec-1", "rec-2"):
        store.add_record(synthetic_record(record_id))
        store.add_proposal(record_id, synthetic_delineation())
    for reader in ("ann1", "ann2"):
        store.add_annotator(reader, reader)
        store.switch_user(reader)
        for record_id in ("rec-1", "rec-2"):
            shift = 15 if (reader, record_id) == ("ann2", "rec-1") else 0
            store.import_set(record_id, _shifted(base, "V2", WaveKind.T, shift), origin={})
    yield store
    store.close()


