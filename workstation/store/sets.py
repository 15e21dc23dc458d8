"""Rows of the store: records, annotation sets and their content, read and written with SQL.

Functions here take an open :class:`sqlite_utils.Database` and run inside the caller's
transaction; :class:`workstation.store.store.AnnotationStore` decides when to begin and commit.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
from sqlite_utils import Database

from workstation.core.annotation import (AnnotatedWave, AnnotationState, Label, LabelKind, LeadStatus,
                                         Provenance, Scope, SetStatus)
from workstation.core.commands import ConflictError
from workstation.core.delineation import Wave, WaveKind
from workstation.core.leads import sort_key as lead_sort_key
from workstation.store import cache
from workstation.store.records import RecordInfo


@dataclass(frozen=True)
class SetInfo:
    """One annotation set: an annotator's (``annotator_id``) or a model's proposal (``model``).

    ``blind`` sets hide other annotators' sets from their author; ``hide_proposal`` also hides
    the model's (the set then starts empty). ``proposal_set_id`` is the proposal it started from.
    """

    id: int
    record_id: str
    annotator_id: str | None
    model: str | None
    proposal_set_id: int | None
    status: SetStatus
    blind: bool
    hide_proposal: bool
    created_at: str
    submitted_at: str | None = None
    signature: str | None = None
    signed_head: str | None = None

    @property
    def is_proposal(self) -> bool:
        return self.model is not None


# -- records -----------------------------------------------------------------------------------

def insert_record(db: Database, info: RecordInfo, at: str) -> bool:
    """Add ``info`` unless the record is there already; True when it was added."""
    cursor = db.execute(
        "INSERT INTO records (id, format, fs, leads, n_samples, duration_s, "
        "source_name, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [info.id, info.format, info.fs, json.dumps(list(info.leads)), info.n_samples,
         info.duration_s, info.source_name, at])
    return cursor.rowcount == 1


def get_record(db: Database, record_id: str) -> RecordInfo | None:
    row = db.execute("SELECT id, format, fs, leads, n_samples, duration_s, source_name "
                     "FROM records WHERE id = ?", [record_id]).fetchone()
    if row is None:
        return None
    return RecordInfo(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4], row[5], row[6])


def all_records(db: Database) -> list[RecordInfo]:
    rows = db.execute("SELECT id, format, fs, leads, n_samples, duration_s, source_name "
                      "FROM records ORDER BY source_name, id").fetchall()
    return [RecordInfo(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], r[5], r[6]) for r in rows]


# -- sets --------------------------------------------------------------------------------------

_SET_COLUMNS = ("id, record_id, annotator_id, model, proposal_set_id, status, blind, "
                "hide_proposal, created_at, submitted_at, signature, signed_head")


def _set(row: tuple) -> SetInfo:
    return SetInfo(row[0], row[1], row[2], row[3], row[4], SetStatus(row[5]), bool(row[6]),
                   bool(row[7]), row[8], row[9], row[10], row[11])


def get_set(db: Database, set_id: int) -> SetInfo | None:
    row = db.execute(f"SELECT {_SET_COLUMNS} FROM annotation_sets WHERE id = ?", [set_id]).fetchone()
    return _set(row) if row else None


def sets_of_record(db: Database, record_id: str) -> list[SetInfo]:
    rows = db.execute(f"SELECT {_SET_COLUMNS} FROM annotation_sets WHERE record_id = ? "
                      "ORDER BY id", [record_id])
    return [_set(r) for r in rows]


def find_set(db: Database, record_id: str, *, annotator_id: str | None = None,
             model: str | None = None) -> SetInfo | None:
    """The set of ``annotator_id`` (or of ``model``) on a record, if there is one."""
    column, value = ("annotator_id", annotator_id) if model is None else ("model", model)
    row = db.execute(f"SELECT {_SET_COLUMNS} FROM annotation_sets WHERE record_id = ? "
                     f"AND {column} = ?", [record_id, value]).fetchone()
    return _set(row) if row else None


def latest_proposal(db: Database, record_id: str) -> SetInfo | None:
    """The record's most recently added model proposal."""
    row = db.execute(f"SELECT {_SET_COLUMNS} FROM annotation_sets WHERE record_id = ? "
                     "AND model IS NOT NULL ORDER BY id DESC LIMIT 1", [record_id]).fetchone()
    return _set(row) if row else None


def insert_set(db: Database, info: SetInfo, set_id: int | None = None) -> int:
    """Add a set (under ``set_id`` when given, else the next free id; ``info.id`` is ignored);
    return its id."""
    values = [info.record_id, info.annotator_id, info.model, info.proposal_set_id,
              info.status.value, int(info.blind), int(info.hide_proposal), info.created_at]
    columns = "record_id, annotator_id, model, proposal_set_id, status, blind, hide_proposal, " \
              "created_at"
    if set_id is not None:
        columns, values = f"id, {columns}", [set_id, *values]
    cursor = db.execute(f"INSERT INTO annotation_sets ({columns}) VALUES "
                        f"({', '.join('?' * len(values))}) RETURNING id", values)
    return int(cursor.fetchone()[0])


def update_status(db: Database, set_id: int, status: SetStatus, *, submitted_at: str | None,
                  signature: str | None, signed_head: str | None) -> None:
    db.execute("UPDATE annotation_sets SET status = ?, submitted_at = ?, signature = ?, "
               "signed_head = ? WHERE id = ?",
               [status.value, submitted_at, signature, signed_head, set_id])


# -- waves, labels, note, lead statuses --------------------------------------------------------

_WAVE_COLUMNS = ("id, kind, lead, onset, peak, offset, onset_conf, peak_conf, offset_conf, "
                 "model, changed_by, changed_at, version")


_KINDS = {kind.value: kind for kind in WaveKind}  # a dict lookup is 5x faster than WaveKind(v)


def _waves(rows: list[tuple]) -> dict[str, AnnotatedWave]:
    # most waves of a set share one provenance (the proposing model, untouched): build each once
    origins: dict[tuple, Provenance] = {}
    waves = {}
    for row in rows:
        origin = origins.get(row[9:12])
        if origin is None:
            origin = origins[row[9:12]] = Provenance(row[9], row[10], row[11])
        wave = Wave(_KINDS[row[1]], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[0])
        waves[row[0]] = AnnotatedWave(wave, origin)
    return waves


def _wave_values(set_id: int, a: AnnotatedWave) -> list:
    w, p = a.wave, a.provenance
    return [set_id, w.id, w.kind.value, w.lead, w.onset, w.peak, w.offset, w.onset_conf,
            w.peak_conf, w.offset_conf, p.model, p.annotator, p.at]


def insert_waves(db: Database, set_id: int, waves: Iterable[AnnotatedWave]) -> None:
    db.conn.executemany(
        "INSERT INTO waves (set_id, id, kind, lead, onset, peak, offset, onset_conf, peak_conf, "
        "offset_conf, model, changed_by, changed_at, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        [_wave_values(set_id, a) for a in waves])


def copy_waves(db: Database, source_set: int, target_set: int) -> None:
    """Start ``target_set`` with the waves of ``source_set`` (a proposal), as they are."""
    db.execute("INSERT INTO waves (set_id, id, kind, lead, onset, peak, offset, onset_conf, "
               "peak_conf, offset_conf, model, changed_by, changed_at, version) "
               "SELECT ?, id, kind, lead, onset, peak, offset, onset_conf, peak_conf, "
               "offset_conf, model, changed_by, changed_at, 1 FROM waves WHERE set_id = ?",
               [target_set, source_set])


def load_state(db: Database, set_id: int,
               scope: Scope | None = None) -> tuple[AnnotationState, dict[str, int]]:
    """The set's content (only the waves in ``scope`` when given) and each wave's row version."""
    fs, leads, n_samples = db.execute(
        "SELECT r.fs, r.leads, r.n_samples FROM annotation_sets s JOIN records r "
        "ON r.id = s.record_id WHERE s.id = ?", [set_id]).fetchone()
    sql, params = f"SELECT {_WAVE_COLUMNS} FROM waves WHERE set_id = ?", [set_id]
    if scope is not None:
        sql, params = _scoped(sql, params, scope)
    rows = db.execute(sql, params).fetchall()
    waves = _waves(rows)
    labels = frozenset(Label(LabelKind(k), c) for k, c in db.execute(
        "SELECT kind, code FROM labels WHERE set_id = ?", [set_id]))
    note = db.execute("SELECT text FROM notes WHERE set_id = ?", [set_id]).fetchone()
    statuses = {lead: LeadStatus(s) for lead, s in db.execute(
        "SELECT lead, status FROM lead_status WHERE set_id = ?", [set_id])}
    state = AnnotationState(fs, tuple(json.loads(leads)), n_samples, waves, labels,
                            note[0] if note else "", statuses)
    return state, {row[0]: row[12] for row in rows}


def _scoped(sql: str, params: list, scope: Scope) -> tuple[str, list]:
    ids, leads = sorted(scope.wave_ids), sorted(scope.leads)
    terms = []
    if ids:
        terms.append(f"id IN ({','.join('?' * len(ids))})")
    if leads:
        terms.append(f"lead IN ({','.join('?' * len(leads))})")
    where = " OR ".join(terms) or "1 = 0"
    return f"{sql} AND ({where})", params + ids + leads


def write_changes(db: Database, set_id: int, before: AnnotationState, after: AnnotationState,
                  versions: dict[str, int], who: str | None, at: str) -> None:
    """Write what differs between ``before`` (as loaded, with row ``versions``) and ``after``."""
    _write_waves(db, set_id, before, after, versions)
    if before.labels != after.labels:
        db.execute("DELETE FROM labels WHERE set_id = ?", [set_id])
        db.conn.executemany("INSERT INTO labels (set_id, kind, code) VALUES (?, ?, ?)",
                            [(set_id, lb.kind.value, lb.code) for lb in after.labels])
    if before.note != after.note:
        db.execute("INSERT INTO notes (set_id, text, changed_by, changed_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (set_id) DO UPDATE SET text = excluded.text, "
                   "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                   [set_id, after.note, who, at])
    for lead in set(before.lead_status) | set(after.lead_status):
        if before.status_of(lead) is not after.status_of(lead):
            db.execute("DELETE FROM lead_status WHERE set_id = ? AND lead = ?", [set_id, lead])
            if after.status_of(lead) is not LeadStatus.UNREVIEWED:
                db.execute("INSERT INTO lead_status (set_id, lead, status) VALUES (?, ?, ?)",
                           [set_id, lead, after.status_of(lead).value])


def _write_waves(db: Database, set_id: int, before: AnnotationState, after: AnnotationState,
                 versions: dict[str, int]) -> None:
    for wave_id in before.waves.keys() - after.waves.keys():
        db.execute("DELETE FROM waves WHERE set_id = ? AND id = ?", [set_id, wave_id])
    added = [a for i, a in after.waves.items() if i not in before.waves]
    insert_waves(db, set_id, added)
    for wave_id, annotated in after.waves.items():
        if wave_id in before.waves and before.waves[wave_id] != annotated:
            _update_wave(db, set_id, annotated, versions[wave_id])


def _update_wave(db: Database, set_id: int, annotated: AnnotatedWave, version: int) -> None:
    values = _wave_values(set_id, annotated)
    cursor = db.execute(
        "UPDATE waves SET kind = ?, lead = ?, onset = ?, peak = ?, offset = ?, onset_conf = ?, "
        "peak_conf = ?, offset_conf = ?, model = ?, changed_by = ?, changed_at = ?, "
        "version = version + 1 WHERE set_id = ? AND id = ? AND version = ?",
        values[2:] + [set_id, annotated.id, version])
    if cursor.rowcount != 1:  # the write lock makes this unreachable; the check costs nothing
        raise ConflictError(f"wave {annotated.id}", f"version {version}", "a newer version")


def wave_versions(db: Database, set_id: int) -> dict[str, int]:
    """Each wave's row version (bumped on every change) by wave id."""
    return dict(db.execute("SELECT id, version FROM waves WHERE set_id = ?", [set_id]).fetchall())


# -- bulk queries (agreement, exports, monitoring) ---------------------------------------------

def all_sets(db: Database, *, annotator_id: str | None = None, model: str | None = None,
             status: SetStatus | None = None) -> list[SetInfo]:
    terms, params = [], []
    for column, value in (("annotator_id", annotator_id), ("model", model),
                          ("status", status.value if status else None)):
        if value is not None:
            terms.append(f"{column} = ?")
            params.append(value)
    where = f" WHERE {' AND '.join(terms)}" if terms else ""
    rows = db.execute(f"SELECT {_SET_COLUMNS} FROM annotation_sets{where} ORDER BY id", params)
    return [_set(r) for r in rows]


@dataclass(frozen=True)
class WaveTable:
    """Waves of many sets as parallel int32 columns, sorted by set.

    ``kind`` indexes :data:`KIND_ORDER`; ``lead`` indexes ``lead_names``. ``heads`` is each
    set's latest event id, read before its waves: a figure derived from these columns may be
    kept (:mod:`workstation.store.cache`) only while the set's head is still the same.
    """

    set_id: np.ndarray
    lead: np.ndarray
    kind: np.ndarray
    onset: np.ndarray
    peak: np.ndarray
    offset: np.ndarray
    lead_names: tuple[str, ...]
    heads: dict[int, int] = field(default_factory=dict)

    def bounds(self, set_id: int) -> tuple[int, int]:
        """The slice of rows holding ``set_id``'s waves ((0, 0) for a set without waves)."""
        return self._slices.get(set_id, (0, 0))

    @functools.cached_property
    def _slices(self) -> dict[int, tuple[int, int]]:
        starts = np.flatnonzero(np.r_[True, self.set_id[1:] != self.set_id[:-1]]) \
            if len(self.set_id) else np.empty(0, dtype=np.int64)
        stops = np.r_[starts[1:], len(self.set_id)]
        return dict(zip(self.set_id[starts].tolist(), zip(starts.tolist(), stops.tolist())))


KIND_ORDER = (WaveKind.P, WaveKind.QRS, WaveKind.T)
_CHUNK = 500  # set ids per query: under SQLite's bound-parameter limit
#: Name of a set's waves packed as columns in the set cache.
PACKED_WAVES = "waves/1"


def wave_table(db: Database, set_ids: Iterable[int]) -> tuple[WaveTable, dict[int, bytes]]:
    """Every wave of ``set_ids`` as int32 columns, and the packed columns of the sets that were
    not yet in the cache (for the caller to keep there).

    Cached sets cost one blob each (:func:`pack_waves`). The others are read with one query
    per 500 sets: SQLite hands over one row per set, lead and kind with the positions joined
    in text (rows are stored in (set, "lead/kind/onset") order, so the grouping streams) and
    numpy parses them in C; a row per wave would cost a Python tuple each, 26 million on a
    10,000-record panel of 5 readers and a model. Within a set, rows are grouped by lead and
    kind, not sorted by onset.
    """
    ids = sorted(set(set_ids))
    heads = cache.heads(db, ids)
    packed = cache.read(db, PACKED_WAVES, ids)
    fresh = _packed_from_rows(db, [i for i in ids if i not in packed])
    leads: dict[str, int] = {}
    decoded: dict[bytes, np.ndarray] = {}
    columns: list[list[np.ndarray]] = [[] for _ in range(5)]
    counts = []
    for set_id in ids:
        data = packed.get(set_id) or fresh.get(set_id)
        if data:
            for column, values in zip(columns, _unpack(data, leads, decoded)):
                column.append(values)
            counts.append(len(columns[0][-1]))
        else:
            counts.append(0)
    set_column = np.repeat(np.asarray(ids, dtype=np.int32), counts)
    lead, kind, onset, peak, offset = (np.concatenate(c).astype(np.int32) if c
                                       else np.empty(0, dtype=np.int32) for c in columns)
    names = sorted(leads, key=lead_sort_key)  # the standard order: I, II, III, aVR ... V6
    renumber = np.array([names.index(name) for name in leads], dtype=np.int32)
    return WaveTable(set_column, renumber[lead] if len(lead) else lead, kind, onset, peak,
                     offset, lead_names=tuple(names), heads=heads), fresh


_KIND_INDEX = {kind.value: i for i, kind in enumerate(KIND_ORDER)}


def keep_packed(db: Database, set_id: int) -> None:
    """Pack a set's waves into the set cache inside the caller's write transaction: done when
    a set stops changing (submitted, a proposal, an import), so a report never packs it."""
    fresh = _packed_from_rows(db, [set_id])
    if set_id in fresh:
        cache.put(db, PACKED_WAVES, set_id, fresh[set_id])


def _packed_from_rows(db: Database, set_ids: list[int]) -> dict[int, bytes]:
    """Sets packed from the waves table (those with waves), one query per 500 sets."""
    out: dict[int, bytes] = {}
    for start in range(0, len(set_ids), _CHUNK):
        chunk = set_ids[start:start + _CHUNK]
        rows = db.execute(
            f"SELECT set_id, lead, kind, count(*), group_concat(onset), group_concat(peak), "
            f"group_concat(offset) FROM waves WHERE set_id IN ({','.join('?' * len(chunk))}) "
            f"GROUP BY set_id, lead, kind ORDER BY set_id", chunk).fetchall()
        out.update(_pack_rows(rows))
    return out


def pack_waves(lead_names: list[str], lead: np.ndarray, kind: np.ndarray, onset: np.ndarray,
               peak: np.ndarray, offset: np.ndarray) -> bytes:
    """A set's waves as one blob: its lead names (JSON), a newline, then lead and kind
    (uint16 each, ``lead`` indexing the names) and onset, peak, offset (int32) as columns."""
    return b"".join([json.dumps(lead_names).encode(), b"\n",
                     np.asarray(lead, "<u2").tobytes(), np.asarray(kind, "<u2").tobytes(),
                     np.asarray(onset, "<i4").tobytes(), np.asarray(peak, "<i4").tobytes(),
                     np.asarray(offset, "<i4").tobytes()])


def _pack_rows(rows: list[tuple]) -> dict[int, bytes]:
    """Grouped rows (set, lead, kind, count, onsets, peaks, offsets) as packed sets."""
    out: dict[int, bytes] = {}
    start = 0
    while start < len(rows):
        set_id = rows[start][0]
        stop = start
        while stop < len(rows) and rows[stop][0] == set_id:
            stop += 1
        group = rows[start:stop]
        names = sorted({r[1] for r in group})
        counts = np.array([r[3] for r in group], dtype=np.int64)
        lead = np.repeat([names.index(r[1]) for r in group], counts)
        kind = np.repeat([_KIND_INDEX[r[2]] for r in group], counts)
        values = [np.fromstring(",".join(r[i] for r in group), dtype=np.int64, sep=",")
                  for i in (4, 5, 6)]
        out[set_id] = pack_waves(names, lead, kind, *values)
        start = stop
    return out


def _unpack(data: bytes, leads: dict[str, int], decoded: dict[bytes, np.ndarray]
            ) -> tuple[np.ndarray, ...]:
    """One packed set's lead (numbered in ``leads``), kind, onset, peak and offset columns."""
    cut = data.index(b"\n")
    header = data[:cut]
    mapping = decoded.get(header)
    if mapping is None:
        mapping = np.array([leads.setdefault(name, len(leads)) for name in json.loads(header)],
                           dtype=np.int32)
        decoded[header] = mapping
    n = (len(data) - cut - 1) // 16
    small = np.frombuffer(data, "<u2", 2 * n, cut + 1)
    large = np.frombuffer(data, "<i4", 3 * n, cut + 1 + 4 * n)
    return mapping[small[:n]], small[n:], large[:n], large[n:2 * n], large[2 * n:]


def labels_of_sets(db: Database, set_ids: Iterable[int]) -> dict[int, frozenset[Label]]:
    """Each set's labels (sets without any are left out)."""
    ids = sorted(set(set_ids))
    found: dict[int, set[Label]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for set_id, kind, code in db.execute(
                f"SELECT set_id, kind, code FROM labels WHERE set_id IN "
                f"({','.join('?' * len(chunk))})", chunk):
            found.setdefault(set_id, set()).add(Label(LabelKind(kind), code))
    return {k: frozenset(v) for k, v in found.items()}
