"""The model's proposals of a batch into an annotation store, written by the one client process.

Workers delineate; each task hands its records' :class:`~workstation.batch.process.Proposal`
back with its result, and the client stores them as the results come in, the way
``ecgws import-annotations --model NAME/VERSION`` does (the same function): the record added
by the hash of its signal, the waves as that model version's immutable proposal set. Only this
process writes to the store, so a SQLite file is never written by two processes; a PostgreSQL
store is written the same way.

Idempotent: a record that already holds this model version's proposal is counted and left as
it is. A rerun finds the records whose rows the dataset has but whose proposals the store
lacks (a first run without ``--store``, or one stopped between the two) and has only their
proposals made again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from workstation.batch.process import Proposal


def tag_of(analysis_model: str) -> str:
    """The ``name/version`` tag of a model as the analysis names it (``"name version"``)."""
    name, _, version = analysis_model.rpartition(" ")
    return f"{name}/{version}" if name else f"{version}/"


class ProposalWriter:
    """An open store and what a batch has written to it (``stored``, ``present``, ``problems``)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.stored = 0
        self.present = 0
        self.problems: list[str] = []
        self._holding: dict[str, set[str]] = {}

    @classmethod
    def open(cls, location: Path | Any) -> "ProposalWriter":
        """Open (or create, for a file) the store at ``location``: a path or a server URL."""
        from workstation.store import AnnotationStore

        return cls(AnnotationStore.open(location))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "ProposalWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def holds(self, record_id: str, model: str) -> bool:
        """Whether the record already holds model version ``model``'s proposal."""
        return record_id in self._records_with(model)

    def _records_with(self, model: str) -> set[str]:
        if model not in self._holding:
            self._holding[model] = {s.record_id for s in self.store.find_sets(model=model)}
        return self._holding[model]

    def missing(self, written: Iterable[tuple[str, str, str | None]]) -> set[str]:
        """Content hashes of the dataset's records (``dataset.written_records``) whose model
        ran but whose proposals this store does not hold; the others count as ``present``."""
        delineated = [(content, record_id, tag_of(model))
                      for content, record_id, model in written if model]
        lacking = {content for content, record_id, model in delineated
                   if not self.holds(record_id, model)}
        self.present += len(delineated) - len(lacking)
        return lacking

    def write(self, proposal: Proposal) -> bool:
        """Store one record's proposal; False when it was already there or could not be stored
        (then ``problems`` says why)."""
        from workstation.panel.importer import add_model_proposal
        from workstation.store import StoreError

        model, record_id = proposal.model, proposal.info.id
        if self.holds(record_id, model):
            self.present += 1
            return False
        try:
            self.store.add_record(proposal.info)
            add_model_proposal(self.store, record_id, proposal.delineation, model)
        except StoreError as exc:
            self.problems.append(f"{proposal.info.source_name}: {exc.problem}")
            return False
        self._records_with(model).add(record_id)
        self.stored += 1
        return True

    def summary(self) -> dict[str, Any]:
        return {"stored": self.stored, "already_there": self.present,
                "problems": list(self.problems)}
