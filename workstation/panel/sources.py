"""Who annotated what: the sources a panel compares, and their sets in the store.

A source is an annotator (their submitted sets), a model version (its proposals, named by
its tag ``name/version``) or the consensus (every adjudicated set). Drafts never count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from inference.delineation.evaluate import min_leads_for
from workstation.core.annotation import AnnotationState, SetStatus
from workstation.core.delineation import Delineation
from workstation.panel.globals import SetGlobals, load_globals
from workstation.store import AnnotationStore, RecordInfo, StoreError
from workstation.store.sets import SetInfo, WaveTable

CONSENSUS = "consensus"


class SourceKind(Enum):
    ANNOTATOR = "annotator"
    MODEL = "model"
    CONSENSUS = "consensus"


@dataclass(frozen=True)
class Source:
    """One reader of the panel: an annotator id, a model tag, or ``consensus``."""

    name: str
    kind: SourceKind

    @property
    def is_model(self) -> bool:
        return self.kind is SourceKind.MODEL


def all_sources(store: AnnotationStore) -> list[Source]:
    """Annotators with submitted sets, then model versions, then the consensus when there is one."""
    every = store.find_sets()
    humans = sorted({s.annotator_id for s in every
                     if s.annotator_id and s.status is SetStatus.SUBMITTED})
    models = sorted({s.model for s in every if s.model})
    out = [Source(h, SourceKind.ANNOTATOR) for h in humans]
    out += [Source(m, SourceKind.MODEL) for m in models]
    if any(s.status is SetStatus.ADJUDICATED for s in every):
        out.append(Source(CONSENSUS, SourceKind.CONSENSUS))
    return out


def resolve(store: AnnotationStore, names: list[str]) -> list[Source]:
    """Sources by name; StoreError naming the first unknown one."""
    known = {s.name: s for s in all_sources(store)}
    annotators = {a.id for a in store.annotators()}
    out = []
    for name in names:
        if name in known:
            out.append(known[name])
        elif name in annotators:
            out.append(Source(name, SourceKind.ANNOTATOR))  # no submitted set yet
        else:
            raise StoreError(store.path, f"no annotator, model or consensus named {name!r} "
                                         f"(known: {', '.join(sorted(known)) or 'none'})")
    return out


def sets_of(store: AnnotationStore, source: Source,
            every: list[SetInfo] | None = None) -> dict[str, SetInfo]:
    """The source's set on each record it annotated, by record id (picked from ``every`` set
    of the store when the caller has read them already)."""
    every = store.find_sets() if every is None else every
    if source.kind is SourceKind.MODEL:
        found = [s for s in every if s.model == source.name]
    elif source.kind is SourceKind.CONSENSUS:
        found = [s for s in every if s.status is SetStatus.ADJUDICATED]
    else:
        found = [s for s in every
                 if s.annotator_id == source.name and s.status is not SetStatus.DRAFT]
    return {s.record_id: s for s in found}


@dataclass(frozen=True)
class PanelData:
    """Every source's sets, the records they cover, and their waves as columns."""

    sources: tuple[Source, ...]
    sets: dict[str, dict[str, SetInfo]]  # source name -> record id -> set
    records: dict[str, RecordInfo]
    waves: WaveTable
    globals_: dict[int, SetGlobals] | None = None  # by set id, when loaded with them


def load_panel(store: AnnotationStore, sources: list[Source], records: set[str] | None = None,
               *, with_global: bool = True) -> PanelData:
    """Read what agreement needs from the store (on ``records`` only, when given);
    ``with_global`` adds each set's cross-lead groups and intervals (kept in the store's set
    cache once computed: :mod:`workstation.panel.globals`)."""
    every = store.find_sets()
    sets = {s.name: {r: info for r, info in sets_of(store, s, every).items()
                     if records is None or r in records} for s in sources}
    record_ids = sorted({r for by_record in sets.values() for r in by_record})
    records = {r: store.record(r) for r in record_ids}
    set_ids = [info.id for by_record in sets.values() for info in by_record.values()]
    data = PanelData(tuple(sources), sets, records, store.wave_table(set_ids))
    if not with_global:
        return data
    return replace(data, globals_=load_globals(store, data.waves, wanted_globals(data)))


def wanted_globals(data: PanelData) -> dict[int, tuple[float, int]]:
    """Set id -> (sampling rate, leads a group needs to count): a quarter of the record's
    leads for a model's proposal, as ``ecgws evaluate`` counts a tested method's waves."""
    out = {}
    for source in data.sources:
        for record, info in data.sets[source.name].items():
            rec = data.records[record]
            out[info.id] = (rec.fs, min_leads_for(len(rec.leads)) if source.is_model else 1)
    return out


def state_delineation(state: AnnotationState, source: str) -> Delineation:
    """A set's content as a :class:`Delineation`."""
    return Delineation(state.fs, state.lead_names, tuple(a.wave for a in state.waves.values()),
                       source, "")


def load_labels(store: AnnotationStore, data: PanelData) -> dict[tuple[str, str], frozenset]:
    """Each (source, record)'s labels; human sets only (a model proposes no labels)."""
    keyed = {info.id: (name, record) for name, by_record in data.sets.items()
             for record, info in by_record.items() if info.model is None}
    found = store.labels_of_sets(list(keyed))
    return {key: found.get(set_id, frozenset()) for set_id, key in keyed.items()}
