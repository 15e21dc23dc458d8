"""The annotation store: SQLite via sqlite-utils (migrations, sets, event chain, identity, audit).

SQL stays inside this package. The workstation uses :class:`AnnotationStore` and
:class:`EditingSession`; everything else is reached through them.
"""

from workstation.store.errors import ConflictError, IdentityError, SetLockedError, StoreError
from workstation.store.identity import KEYRING_SERVICE, Annotator, Role
from workstation.store.records import RecordInfo, record_info, record_key
from workstation.store.session import EditingSession, StoreSink
from workstation.store.sets import SetInfo
from workstation.store.store import AnnotationStore, SignatureCheck

__all__ = ["KEYRING_SERVICE", "AnnotationStore", "Annotator", "ConflictError", "EditingSession",
           "IdentityError", "RecordInfo", "Role", "SetInfo", "SetLockedError", "SignatureCheck",
           "StoreError", "StoreSink", "record_info", "record_key"]
