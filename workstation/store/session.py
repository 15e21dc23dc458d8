"""An annotation set open for editing: the document, committed edit by edit to the store.

The UI holds an :class:`EditingSession` per open record. Its ``document`` is the
:class:`~workstation.core.annotation.AnnotationDocument` the views draw and send commands to;
every command goes through :class:`StoreSink` and is committed before the document changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workstation.core.annotation import AnnotationDocument, AnnotationState
from workstation.core.commands import AcceptProposal, Command
from workstation.store.errors import StoreError
from workstation.store.sets import SetInfo

if TYPE_CHECKING:
    from workstation.store.store import AnnotationStore


class StoreSink:
    """Commits a document's commands to one set of a store (a CommandSink)."""

    def __init__(self, store: "AnnotationStore", set_id: int) -> None:
        self.store = store
        self.set_id = set_id

    def commit(self, command: Command) -> AnnotationState:
        return self.store.apply(self.set_id, command)


class EditingSession:
    """The current user's set on one record, open for editing.

    Parameters
    ----------
    store
        The open store; its current user must own the set.
    set_id
        The set (see :meth:`AnnotationStore.open_set`).
    """

    def __init__(self, store: "AnnotationStore", set_id: int) -> None:
        self.store = store
        self.set_id = set_id
        self.document = AnnotationDocument(store.load(set_id), sink=StoreSink(store, set_id))

    @property
    def info(self) -> SetInfo:
        return self.store.set_info(self.set_id)

    @property
    def state(self) -> AnnotationState:
        return self.document.state

    def execute(self, command: Command, *, merge: bool = False) -> bool:
        """Apply and commit ``command`` (see :meth:`AnnotationDocument.execute`)."""
        return self.document.execute(command, merge=merge)

    def undo(self) -> Command | None:
        return self.document.undo()

    def redo(self) -> Command | None:
        return self.document.redo()

    def accept_proposal(self, lead: str | None = None) -> bool:
        """Take the model's waves on ``lead`` (every lead when None) and mark them accepted."""
        found = self.store.proposal_of(self.set_id)
        if found is None:
            raise StoreError(self.store.path, f"set {self.set_id} has no visible model proposal")
        info, proposal = found
        command = AcceptProposal.of(self.document.state, proposal, info.model or "", lead)
        return self.document.execute(command)

    def refresh(self) -> None:
        """Show the set as stored now (after another workstation's edit or a conflict)."""
        self.document.reload(self.store.load(self.set_id))

    def submit(self) -> SetInfo:
        """Sign and submit the set; later edits are refused until it is reopened."""
        return self.store.submit(self.set_id)
