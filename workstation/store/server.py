"""The store on a PostgreSQL server: the same rows, events and rules as the SQLite file.

The store's modules write their SQL once, in the dialect both engines share (upserts with
``ON CONFLICT``, ``RETURNING``); :class:`ServerDatabase` runs it on PostgreSQL through
psycopg, turning SQLite's ``?`` placeholders into ``%s``, ``group_concat`` into
``string_agg`` and quoting ``offset`` (reserved there). A write transaction takes one
transaction-level advisory lock first, so writers queue exactly as ``BEGIN IMMEDIATE``
makes them queue on a file: the hash chain grows one event at a time and a command is checked
against rows nobody else is changing.

The server enforces who sees what (:mod:`workstation.store.server_schema`): the URL's user is
the annotator, and row-level security hides other readers' blind sets from them.

psycopg is the ``[server]`` extra; it is imported only when a server is opened.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from workstation.store.errors import BackendError, StoreError
from workstation.store.location import ServerUrl

#: ``pg_advisory_xact_lock`` key of the store's write lock ("ECGW").
WRITE_LOCK = 0x45434757
#: Seconds to wait for a server before working offline.
CONNECT_TIMEOUT_S = 5

# statements whose answer must not depend on what the user may see: the chain's head is the
# last event of everyone, read through a function that runs with the owner's rights
_OVERRIDES = {
    "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1": "SELECT id, hash FROM ecgws_chain_head()",
    "SELECT hash FROM events ORDER BY id DESC LIMIT 1": "SELECT hash FROM ecgws_chain_head()",
}
_GROUP_CONCAT = re.compile(r"group_concat\((\w+)\)")
_NAMED = re.compile(r"(?<![:\w]):(\w+)")
_OFFSET = re.compile(r'(?<![\w"])offset(?![\w"])')


def translate(sql: str) -> str:
    """SQLite-dialect SQL of the store as PostgreSQL runs it."""
    if sql in _OVERRIDES:
        return _OVERRIDES[sql]
    out = sql.replace("%", "%%").replace("?", "%s")
    out = _GROUP_CONCAT.sub(r"string_agg(CAST(\1 AS TEXT), ',' ORDER BY id)", out)
    return _OFFSET.sub('"offset"', out)


class _Cursor:
    """What the store reads from a statement: rows, their column names, counts."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def description(self) -> list[tuple]:
        return [(c.name,) for c in self._cursor.description or []]

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.fetchall())


class _Connection:
    """The part of ``sqlite3.Connection`` the store uses: ``executemany`` and ``in_transaction``."""

    def __init__(self, db: "ServerDatabase") -> None:
        self._db = db

    @property
    def in_transaction(self) -> bool:
        import psycopg

        return self._db.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def executemany(self, sql: str, rows: list) -> None:
        if rows:
            with self._db.errors():
                with self._db.raw.cursor() as cursor:
                    cursor.executemany(translate(sql), rows)


class ServerDatabase:
    """A connection to the store's PostgreSQL database, used like sqlite-utils' ``Database``."""

    is_server = True

    def __init__(self, raw: Any, url: ServerUrl) -> None:
        self.raw = raw
        self.url = url
        self.conn = _Connection(self)

    def errors(self):
        return _translated_errors()

    def execute(self, sql: str, params: Any = None) -> _Cursor:
        if sql == "BEGIN IMMEDIATE":
            with self.errors():
                self.raw.execute("BEGIN")
                self.raw.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            return _Cursor(self.raw.cursor())
        text = translate(sql)
        if isinstance(params, dict):  # SQLite's :name placeholders
            text = _NAMED.sub(r"%(\1)s", text)
        with self.errors():
            return _Cursor(self.raw.execute(text, params))

    def rollback(self) -> None:
        try:
            self.raw.execute("ROLLBACK")
        except Exception:  # noqa: BLE001  a lost connection has nothing left to roll back
            pass

    def close(self) -> None:
        self.raw.close()

    @property
    def user(self) -> str:
        return self.execute("SELECT current_user").fetchone()[0]


class _translated_errors:
    """Turn psycopg's errors into :class:`BackendError` (unreachable, refused or other)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, _tb: object) -> bool:
        if exc is None:
            return False
        import psycopg

        if not isinstance(exc, psycopg.Error):
            return False
        unreachable = isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)) \
            and not isinstance(exc, psycopg.errors.QueryCanceled)
        refused = isinstance(exc, psycopg.errors.InsufficientPrivilege)
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackendError(text, unreachable=unreachable, refused=refused) from exc


def connect(url: ServerUrl) -> ServerDatabase:
    """A connection to ``url`` (autocommit; the store begins its own transactions)."""
    try:
        import psycopg
    except ModuleNotFoundError as exc:
        raise StoreError(url, "a server store needs the [server] extra "
                              "(pip install 'ecg-workstation[server]')") from exc
    try:
        raw = psycopg.connect(url.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                              application_name="ecgws")
    except psycopg.Error as exc:
        text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise BackendError(text, unreachable=True) from exc
    return ServerDatabase(raw, url)


def open_server(url: ServerUrl) -> ServerDatabase:
    """The store on ``url``, migrated when its owner opens it; StoreError naming it if not."""
    from workstation.store.server_schema import migrate
    from workstation.store.errors import store_error

    db: ServerDatabase | None = None
    try:
        db = connect(url)
        migrate(db)
    except (BackendError, StoreError) as exc:
        if db is not None:
            db.close()
        raise store_error(url, exc) from exc
    return db
