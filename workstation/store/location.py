"""Where a store lives: a SQLite file on this computer, or a PostgreSQL server named by a URL.

Everywhere a STORE is accepted (``ecgws`` commands, ``$ECGWS_STORE``, the window's
preferences) the text ``postgresql://user@host:port/dbname?sslmode=verify-full`` names a
server and anything else a file. A URL never carries a password: the preferences and shell
histories are files, and a password there would be readable by whoever reads them. The
password comes from where PostgreSQL's own client looks for it (``~/.pgpass``,
``$PGPASSFILE``, ``$PGPASSWORD``), or is not needed at all (a client certificate, Kerberos).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")


class LocationError(ValueError):
    """A store location that cannot be used (a URL with a password in it, say)."""


@dataclass(frozen=True)
class ServerUrl:
    """A PostgreSQL server's store, named by a libpq URL without a password."""

    url: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.password is not None:
            raise LocationError(
                "a store URL must not contain a password (it would be written to the "
                "preferences and the shell history): put it in ~/.pgpass or $PGPASSFILE")
        if not parts.hostname and "host=" not in parts.query:
            raise LocationError(f"{self.url}: name the server, e.g. postgresql://me@host/ecgws")

    @property
    def user(self) -> str | None:
        return urlsplit(self.url).username

    @property
    def name(self) -> str:
        """A short name for titles and status lines (as a file's name is): host/database."""
        parts = urlsplit(self.url)
        return f"{parts.hostname or 'server'}{parts.path or '/'}"

    @property
    def redacted(self) -> str:
        """The URL as shown in messages (it holds no password; query options are kept)."""
        return self.url

    @property
    def uses_tls(self) -> bool:
        """Whether the URL asks for TLS (``sslmode`` require, verify-ca or verify-full)."""
        query = urlsplit(self.url).query
        return any(f"sslmode={mode}" in query for mode in ("require", "verify-ca", "verify-full"))

    def with_user(self, user: str) -> "ServerUrl":
        parts = urlsplit(self.url)
        host = parts.netloc.rsplit("@", 1)[-1]
        return ServerUrl(urlunsplit(parts._replace(netloc=f"{user}@{host}")))

    def __str__(self) -> str:
        return self.redacted


StoreLocation = Path | ServerUrl


def is_server(text: object) -> bool:
    return isinstance(text, ServerUrl) or str(text).startswith(SCHEMES)


def parse_location(text: str | Path | ServerUrl) -> StoreLocation:
    """A file path, or a :class:`ServerUrl` for ``postgresql://...`` (LocationError if unfit)."""
    if isinstance(text, ServerUrl):
        return text
    if isinstance(text, str) and text.startswith(SCHEMES):
        return ServerUrl(text)
    return Path(text)


def store_exists(location: StoreLocation) -> bool:
    """A file that is there; a server is taken to exist (opening it tells otherwise)."""
    return isinstance(location, ServerUrl) or Path(location).is_file()


class StoreParam:
    """A click parameter type for STORE: a file path or a ``postgresql://`` URL.

    Built on first use so that this module does not import click for the window.
    """

    def __new__(cls):  # type: ignore[misc]
        import click

        class _StoreType(click.ParamType):
            name = "store"

            def convert(self, value, param, ctx):  # noqa: ANN001
                try:
                    return parse_location(value)
                except LocationError as exc:
                    self.fail(str(exc), param, ctx)

        return _StoreType()
