"""The annotation store: SQLite via sqlite-utils (migrations, sets, event chain, identity, audit).

SQL stays inside this package. The workstation uses :class:`AnnotationStore` and
:class:`EditingSession`; everything else is reached through them::

    store = AnnotationStore.open(path)             # StoreError naming the file when it cannot
    store.switch_user("jdoe")                      # explicit; IdentityError without its secret here
    info = store.add_record(record)                # id = hash of the signal; idempotent
    store.add_proposal(info.id, delineation)       # the model's immutable proposal (once per version)
    session = store.open_session(info.id, blind=False, hide_proposal=False)
    session.execute(MoveBoundary.of(session.state, wave_id, Boundary.ONSET, 1234))  # committed
    session.undo(); session.redo()                 # the inverse is committed and logged too
    session.accept_proposal("II")                  # or None for the whole record
    session.submit()                               # signed; store.verify_signature(set_id)
    store.import_set(record_id, state, origin={...})  # content made elsewhere (an imported
                                                   # reader's files, a consensus): signed
    store.find_sets(status=SetStatus.ADJUDICATED)  # bulk queries for agreement and exports:
    store.wave_table(set_ids); store.labels_of_sets(set_ids)
    store.cached(name, set_ids); store.keep_cached(name, entries, table.heads)  # derived data
                                                   # kept per set, dropped when the set changes

Every ``execute``/``undo``/``redo`` may raise ``ConflictError`` (another workstation changed
the same thing first: call ``session.refresh()``), ``CommandError`` (a rule of the document),
``SetLockedError`` (submitted, or not the current user's set) or ``StoreError`` (the file:
disk full, read-only, damaged); in every case nothing was changed, in the store or on screen.
"""

from workstation.store.errors import (ConflictError, IdentityError, PassphraseError, SetLockedError,
                                      StoreError)
from workstation.store.identity import KEYRING_SERVICE, Annotator, Role
from workstation.store.records import RecordInfo, record_info, record_key
from workstation.store.session import EditingSession, StoreSink
from workstation.store.sets import SetInfo
from workstation.store.store import AnnotationStore, SignatureCheck

__all__ = ["KEYRING_SERVICE", "AnnotationStore", "Annotator", "ConflictError", "EditingSession",
           "IdentityError", "PassphraseError", "RecordInfo", "Role", "SetInfo", "SetLockedError",
           "SignatureCheck",
           "StoreError", "StoreSink", "record_info", "record_key"]
