"""Adjudication: an electrophysiologist settles the readers' disagreements into a consensus.

The queue (:func:`adjudication_queue`) lists records whose disagreement score exceeds a
threshold, worst first, with the leads over it. For one record, :class:`Adjudication` holds
every reader's version (and the model's) untouched, and the adjudicator's decisions, each
with a rationale:

* take one source's version of the whole record, or of one lead;
* take one source's wave, or one source's position of a single boundary;
* place a wave of their own.

Decisions apply in order, a later one overriding an earlier one where they overlap. The
result is a new set: each wave keeps its provenance (the reader who placed it, or the model
version, or the adjudicator), and :func:`submit_consensus` stores it as the adjudicator's
set, signed and marked adjudicated, with every decision and the signatures of the versions it
drew on in its creation event. The readers' sets are never changed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum

from workstation.core.annotation import (AnnotatedWave, AnnotationState, Boundary, LeadStatus,
                                         Provenance, utc_now)
from workstation.core.delineation import Wave, WaveKind, group_waves
from workstation.panel.agreement import AgreementReport
from workstation.store import AnnotationStore, Role, SetInfo, StoreError


# -- the queue ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueItem:
    """A record to adjudicate: its score (ms) and its leads over the threshold, worst first."""

    record_id: str
    score: float
    leads: tuple[tuple[str, float], ...]


def adjudication_queue(report: AgreementReport, threshold_ms: float) -> list[QueueItem]:
    """Records whose disagreement (or one of whose leads') exceeds ``threshold_ms``, worst first."""
    per_lead = report.disagreement.lead_scores()
    items = []
    for record, score in report.disagreement.record_scores().items():
        leads = sorted(((lead, s) for lead, s in per_lead.get(record, {}).items()
                        if s > threshold_ms), key=lambda x: -x[1])
        if score > threshold_ms or leads:
            items.append(QueueItem(record, score, tuple(leads)))
    return sorted(items, key=lambda item: -item.score)


# -- comparing the versions on a lead ------------------------------------------------------------

@dataclass(frozen=True)
class WaveComparison:
    """One wave as each source drew it (None where a source has none), and how far apart."""

    kind: WaveKind
    lead: str
    waves: dict[str, Wave | None]
    fs: float

    def spread_ms(self, boundary: Boundary) -> float | None:
        """Largest difference (ms) between the sources that drew this wave; None if one did."""
        values = [getattr(w, boundary.value) for w in self.waves.values() if w is not None]
        return (max(values) - min(values)) * 1000.0 / self.fs if len(values) > 1 else None

    def difference_ms(self, source: str, reference: str, boundary: Boundary) -> float | None:
        """``source`` minus ``reference`` at ``boundary`` (ms), when both drew the wave."""
        a, b = self.waves.get(reference), self.waves.get(source)
        if a is None or b is None:
            return None
        return (getattr(b, boundary.value) - getattr(a, boundary.value)) * 1000.0 / self.fs


def compare_lead(versions: dict[str, AnnotationState], lead: str) -> list[WaveComparison]:
    """The waves of every source on ``lead``, matched across sources by overlap, by time."""
    fs = next(iter(versions.values())).fs
    out = []
    for kind in WaveKind:
        tagged = [dataclasses.replace(w, lead=name, id=f"{name}|{w.id}")
                  for name, state in versions.items() if lead in state.lead_names
                  for w in state.waves_in(lead, kind)]
        for group in group_waves(tagged):
            by_source: dict[str, Wave | None] = {name: None for name in versions}
            for w in group.waves:
                by_source[w.lead] = dataclasses.replace(w, lead=lead, id=w.id.split("|", 1)[1])
            out.append(WaveComparison(kind, lead, by_source, fs))
    return sorted(out, key=lambda c: min(w.onset for w in c.waves.values() if w is not None))


# -- decisions -------------------------------------------------------------------------------------

class Scope(Enum):
    RECORD = "record"
    LEAD = "lead"
    WAVE = "wave"
    BOUNDARY = "boundary"
    OWN = "own"


@dataclass(frozen=True)
class Decision:
    """One decision of the adjudicator, with its rationale (kept in the consensus's history)."""

    scope: Scope
    rationale: str
    source: str | None = None  # whose version is taken (None for the adjudicator's own wave)
    lead: str | None = None
    wave: Wave | None = None  # the wave taken or placed
    boundary: Boundary | None = None  # for a single boundary: which one, and at what sample
    sample: int | None = None

    def to_dict(self) -> dict:
        out = {"scope": self.scope.value, "rationale": self.rationale, "source": self.source,
               "lead": self.lead}
        if self.wave is not None:
            w = self.wave
            out["wave"] = {"kind": w.kind.value, "onset": w.onset, "peak": w.peak,
                           "offset": w.offset}
        if self.boundary is not None:
            out["boundary"] = self.boundary.value
            out["sample"] = self.sample
        return out


@dataclass
class Adjudication:
    """The decisions on one record, over the sources' versions (which are never changed).

    ``versions`` maps a source name (annotator id or model tag) to its set's content;
    ``models`` names the sources that are model versions.
    """

    record_id: str
    versions: dict[str, AnnotationState]
    adjudicator: str
    models: frozenset[str] = frozenset()
    decisions: list[Decision] = field(default_factory=list)

    @property
    def template(self) -> AnnotationState:
        return next(iter(self.versions.values()))

    def accept_record(self, source: str, rationale: str) -> None:
        self._add(Decision(Scope.RECORD, rationale, self._known(source)))

    def accept_lead(self, source: str, lead: str, rationale: str) -> None:
        self._add(Decision(Scope.LEAD, rationale, self._known(source), lead))

    def accept_wave(self, source: str, wave: Wave, rationale: str) -> None:
        self._add(Decision(Scope.WAVE, rationale, self._known(source), wave.lead, wave))

    def accept_boundary(self, source: str, wave: Wave, boundary: Boundary, rationale: str) -> None:
        """Take ``source``'s position of one boundary of ``wave`` (the source's wave)."""
        self._add(Decision(Scope.BOUNDARY, rationale, self._known(source), wave.lead, wave,
                           boundary, getattr(wave, boundary.value)))

    def move_boundary(self, wave: Wave, boundary: Boundary, sample: int, rationale: str, *,
                      merge: bool = False) -> None:
        """The adjudicator's own position of one boundary of ``wave`` (a wave of the consensus).

        With ``merge``, a move of the same boundary just decided replaces that decision (a
        boundary nudged sample by sample is one decision).
        """
        last = self.decisions[-1] if self.decisions else None
        if (merge and last is not None and last.scope is Scope.BOUNDARY and last.source is None
                and last.wave is not None and last.wave.id == wave.id and last.boundary is boundary):
            self.decisions[-1] = dataclasses.replace(last, sample=sample)
            return
        self._add(Decision(Scope.BOUNDARY, rationale, None, wave.lead, wave, boundary, sample))

    def place(self, wave: Wave, rationale: str) -> None:
        """A wave of the adjudicator's own, replacing any same-kind wave it overlaps."""
        self._add(Decision(Scope.OWN, rationale, None, wave.lead, wave))

    def undo(self) -> Decision | None:
        return self.decisions.pop() if self.decisions else None

    def _known(self, source: str) -> str:
        if source not in self.versions:
            raise ValueError(f"no version of {source!r} on this record")
        return source

    def _add(self, decision: Decision) -> None:
        if not decision.rationale.strip():
            raise ValueError("every adjudication decision needs a rationale")
        self.decisions.append(decision)

    def decided_leads(self) -> set[str]:
        leads = set(self.template.lead_names)
        return {lead for d in self.decisions for lead in ([d.lead] if d.lead else leads)}

    def result(self, at: str | None = None) -> AnnotationState:
        """The consensus the decisions give (leads without a decision have no waves)."""
        at = at or utc_now()
        waves: dict[str, AnnotatedWave] = {}
        for d in self.decisions:
            self._apply(waves, d, at)
        statuses = {lead: LeadStatus.ACCEPTED for lead in self.decided_leads()}
        t = self.template
        return AnnotationState(t.fs, t.lead_names, t.n_samples, waves, frozenset(), "", statuses)

    def _origin(self, source: str | None, at: str) -> Provenance:
        if source is None:
            return Provenance(None, self.adjudicator, at)
        if source in self.models:
            return Provenance(source, self.adjudicator, at)
        return Provenance(None, source, at)

    def _apply(self, waves: dict[str, AnnotatedWave], d: Decision, at: str) -> None:
        if d.scope in (Scope.RECORD, Scope.LEAD):
            for key in [k for k, a in waves.items() if d.lead in (None, a.wave.lead)]:
                del waves[key]
            state = self.versions[d.source]
            for a in state.waves.values():
                if d.lead in (None, a.wave.lead):
                    waves[a.id] = AnnotatedWave(a.wave, self._origin(d.source, at))
        elif d.scope is Scope.BOUNDARY:
            target = _overlapping(waves, d.wave)
            base = target.wave if target else d.wave
            moved = dataclasses.replace(base, **{d.boundary.value: d.sample})
            if target:
                del waves[target.id]
            waves[moved.id] = AnnotatedWave(moved, self._origin(None, at))
        else:
            target = _overlapping(waves, d.wave)
            if target:
                del waves[target.id]
            waves[d.wave.id] = AnnotatedWave(d.wave, self._origin(d.source, at))


def _overlapping(waves: dict[str, AnnotatedWave], wave: Wave) -> AnnotatedWave | None:
    """The same-kind wave on the same lead that overlaps ``wave`` most (None when none does)."""
    best, best_overlap = None, 0
    for a in waves.values():
        w = a.wave
        if w.lead == wave.lead and w.kind is wave.kind:
            overlap = w.overlap(wave.onset, wave.offset) or int(w.id == wave.id)
            if overlap > best_overlap:
                best, best_overlap = a, overlap
    return best


# -- the store -----------------------------------------------------------------------------------

def load_adjudication(store: AnnotationStore, record_id: str, sources: dict[str, SetInfo]
                      ) -> Adjudication:
    """An adjudication of ``record_id`` over the given sources' sets (current user adjudicates)."""
    user = store.current_user
    if user is None or user.role is not Role.ADJUDICATOR:
        raise StoreError(store.path, "adjudication needs a current user with the adjudicator role")
    versions = {name: store.load(info.id) for name, info in sources.items()}
    models = frozenset(name for name, info in sources.items() if info.is_proposal)
    return Adjudication(record_id, versions, user.id, models)


def submit_consensus(store: AnnotationStore, adjudication: Adjudication,
                     sources: dict[str, SetInfo]) -> SetInfo:
    """Store the consensus as the adjudicator's set: signed, adjudicated, decisions kept."""
    if not adjudication.decisions:
        raise StoreError(store.path, f"record {adjudication.record_id}: no decision taken")
    origin = {"adjudication": [d.to_dict() for d in adjudication.decisions],
              "versions": {name: {"set": info.id, "signature": info.signature}
                           for name, info in sources.items()}}
    return store.import_set(adjudication.record_id, adjudication.result(), origin=origin)
