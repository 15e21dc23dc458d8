"""The set cache: packed wave columns read back exactly, and never stale after an edit."""

from __future__ import annotations

import numpy as np

from tests.store.conftest import LEADS, first_wave
from workstation.core.annotation import Boundary
from workstation.core.commands import MoveBoundary
from workstation.store import cache
from workstation.store.sets import PACKED_WAVES


def _columns(table) -> np.ndarray:
    names = np.array(table.lead_names)
    rows = np.stack([table.set_id, table.kind, table.onset, table.peak, table.offset])
    order = np.lexsort((*rows, names[table.lead]))
    return np.vstack([rows[:, order], names[table.lead][order].astype(object)])


def _cached_sets(store) -> set[int]:
    return {r[0] for r in store.database.execute(
        "SELECT set_id FROM set_cache WHERE name = ?", [PACKED_WAVES])}


def test_a_set_read_from_the_cache_equals_its_rows(store):
    session = store.open_session("rec-1")
    ids = [session.info.proposal_set_id, session.set_id]
    store.database.execute("DELETE FROM set_cache")
    first = store.wave_table(ids)  # from the waves table; packed into the cache on the way
    assert _cached_sets(store) == set(ids)
    second = store.wave_table(ids)  # from the cache
    assert len(first.onset) == 2 * 12 * 12 * 3
    np.testing.assert_array_equal(_columns(first), _columns(second))
    assert first.lead_names == second.lead_names == LEADS  # the standard order, not the alphabet
    assert first.heads == second.heads and all(first.heads.values())


def test_an_edit_drops_the_entry_and_the_next_reading_sees_the_edit(store):
    session = store.open_session("rec-1")
    store.wave_table([session.set_id])
    proposal = session.info.proposal_set_id
    assert _cached_sets(store) == {proposal, session.set_id}
    wave = first_wave(session.state)
    session.execute(MoveBoundary(wave.id, Boundary.OFFSET, wave.offset, wave.offset + 7))
    assert _cached_sets(store) == {proposal}  # the trigger on the waves table
    table = store.wave_table([session.set_id])
    assert (wave.offset + 7) in set(table.offset.tolist())
    assert wave.offset + 7 in set(store.wave_table([session.set_id]).offset.tolist())  # cached


def test_an_entry_read_before_an_edit_is_not_kept(store):
    session = store.open_session("rec-1")
    table = store.wave_table([session.set_id])
    store.database.execute("DELETE FROM set_cache")
    wave = first_wave(session.state)
    session.execute(MoveBoundary(wave.id, Boundary.ONSET, wave.onset, wave.onset - 3))
    # packed from the columns read before the edit: refused, the set's head moved on
    assert not store.database.conn.in_transaction
    assert cache.write(store.database, PACKED_WAVES, {session.set_id: b"stale"}, table.heads) == 0
    assert store.keep_cached("panel/x", {session.set_id: b"fresh"},
                             store.wave_table([session.set_id]).heads) == 1
    assert store.cached("panel/x", [session.set_id]) == {session.set_id: b"fresh"}


def test_proposals_and_submitted_sets_are_packed_as_they_are_written(store):
    session = store.open_session("rec-1")
    assert _cached_sets(store) == {session.info.proposal_set_id}  # the proposal, at once
    wave = first_wave(session.state)
    session.execute(MoveBoundary(wave.id, Boundary.ONSET, wave.onset, wave.onset + 2))
    assert _cached_sets(store) == {session.info.proposal_set_id}  # a draft is not
    session.submit()
    assert _cached_sets(store) == {session.info.proposal_set_id, session.set_id}
    table = store.wave_table([session.set_id])  # read from the entry
    assert wave.onset + 2 in set(table.onset.tolist())
