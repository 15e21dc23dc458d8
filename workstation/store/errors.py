"""The store's errors: one message naming the file and what went wrong, fit for a dialog.

SQLite reports a full disk, a read-only folder, a damaged file and a foreign file as terse
``sqlite3`` exceptions; :func:`store_error` turns each into a :class:`StoreError` that says
what it means for the user's work.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from workstation.core.commands import ConflictError  # re-exported: the store raises it too

__all__ = ["BackendError", "ConflictError", "DATABASE_ERRORS", "IdentityError",
           "ServerUnreachableError", "SetLockedError", "StoreError", "store_error"]


class StoreError(Exception):
    """The annotation store at ``path`` cannot do what was asked; nothing was changed.

    ``path`` is a file, or a server's URL (:class:`~workstation.store.location.ServerUrl`,
    shown without any password).
    """

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path if hasattr(path, "redacted") else Path(str(path))
        self.problem = problem


class BackendError(Exception):
    """A PostgreSQL server's error, as the store's server backend raises it (the text of the
    driver's error; the driver itself is an optional dependency, imported only there)."""

    def __init__(self, text: str, *, unreachable: bool = False, refused: bool = False) -> None:
        super().__init__(text)
        self.unreachable = unreachable
        self.refused = refused


#: What a store method turns into a StoreError: SQLite's, the server's and the OS's errors.
DATABASE_ERRORS = (sqlite3.Error, BackendError, OSError)


class ServerUnreachableError(StoreError):
    """The store's server cannot be reached now (network, server down): work can go on in a
    local store that follows it (:mod:`workstation.store.sync`)."""


class SetLockedError(StoreError):
    """The annotation set cannot be edited: submitted, a model's proposal, or someone else's."""


class IdentityError(StoreError):
    """No current user, an unknown annotator, or a signing secret missing from the keyring."""


class PassphraseError(IdentityError):
    """The key file of signing secrets cannot be opened with the passphrase given (or none)."""


# SQLite's messages (sqlite3.Error has no portable error code on Python 3.11) and what each
# means for the person at the workstation
_MEANINGS = (
    ("database or disk is full",
     "the disk is full; the last change was not saved (earlier ones are safe): free some space"),
    ("readonly", "the store or its folder is read-only; nothing can be saved there"),
    ("unable to open database file",
     "cannot open or create the store (missing or read-only folder?)"),
    ("file is not a database", "not an annotation store (not a SQLite file, or damaged)"),
    ("malformed", "the store file is damaged (corrupted); restore it from a backup"),
    ("database is locked",
     "another program kept the store busy for too long; try again"),
    ("disk i/o error", "the disk reported an input/output error; the last change was not saved"),
)


def store_error(path: object, exc: BaseException) -> StoreError:
    """A :class:`StoreError` for ``path`` explaining the ``sqlite3``, server or OS error ``exc``."""
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, BackendError):
        if exc.unreachable:
            return ServerUnreachableError(path, f"the server cannot be reached now ({exc})")
        if exc.refused:
            return StoreError(path, f"the server refused: your role does not allow this ({exc})")
        return StoreError(path, f"server error: {exc}")
    text = str(exc)
    lowered = text.lower()
    for needle, meaning in _MEANINGS:
        if needle in lowered:
            return StoreError(path, f"{meaning} ({text})")
    if isinstance(exc, OSError):
        return StoreError(path, f"{exc.strerror or text}")
    kind = "database error" if isinstance(exc, sqlite3.Error) else type(exc).__name__
    return StoreError(path, f"{kind}: {text}")
