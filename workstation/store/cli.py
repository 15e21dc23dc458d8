"""``ecgws server`` (set up a store on a PostgreSQL server, let people in) and ``ecgws sync``.

Top-level imports stay cheap; each command imports what it needs.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from workstation.store.location import ServerUrl, StoreParam

EXIT_BAD_INPUT = 2
EXIT_CONFLICTS = 1


def register(group: click.Group) -> None:
    group.add_command(server_group)
    group.add_command(sync_cmd)


def _server_url(store: object) -> ServerUrl:
    if not isinstance(store, ServerUrl):
        raise click.BadParameter(f"{store} is not a postgresql:// URL")
    return store


@click.group("server")
def server_group() -> None:
    """Set up the shared store on a PostgreSQL server and let readers and adjudicators in."""


@server_group.command("init")
@click.argument("url", type=StoreParam())
def server_init_cmd(url: object) -> None:
    """Create (or bring up to date) the store in URL's database; URL's user becomes its owner.

    Run once by the administrator, as the account that owns the database.
    """
    from workstation.store import StoreError
    from workstation.store.server import open_server

    try:
        open_server(_server_url(url)).close()
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    click.echo(f"ok: {url}: the store is set up and up to date")


@server_group.command("add-member")
@click.argument("url", type=StoreParam())
@click.argument("user")
@click.option("--role", type=click.Choice(["annotator", "adjudicator"]), default="annotator",
              show_default=True)
def server_add_member_cmd(url: object, user: str, role: str) -> None:
    """Let the server's login USER use the store as an annotator or an adjudicator.

    Run by the owner. The login itself, and how it authenticates (a password the person sets
    with psql's \\password, a client certificate, Kerberos), is the database administrator's:
    a missing login is created without any password.
    """
    from workstation.store import StoreError
    from workstation.store.errors import BackendError, store_error
    from workstation.store.server import open_server
    from workstation.store.server_schema import add_member

    try:
        db = open_server(_server_url(url))
        try:
            with db.errors():
                add_member(db, user, role)
        finally:
            db.close()
    except (StoreError, BackendError) as exc:
        click.echo(f"error: {store_error(url, exc)}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    click.echo(f"ok: {user} is a member of the store as {role}")


@click.command("sync")
@click.argument("stores", nargs=-1, required=True, metavar="[LOCAL] URL")
@click.option("--user", "user_id", required=True,
              help="The annotator (the URL's user when it names none).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def sync_cmd(stores: tuple[str, ...], user_id: str, as_json: bool) -> None:
    """Synchronise the local store LOCAL with the server store URL: push LOCAL's events
    (made offline), then pull the others'. Without LOCAL, this computer's own copy of URL
    (~/.ecg-workstation/replicas, or $ECGWS_REPLICAS), which the window works on when the
    server cannot be reached. LOCAL starts following URL on its first sync (it must then be
    new or without sets). Exits 1 when some edits were held back by a conflict, 2 when
    either store cannot be used (the server unreachable: work goes on locally)."""
    from workstation.store import AnnotationStore, StoreError
    from workstation.store.location import LocationError, parse_location
    from workstation.store.sync import adopt_profile, follow, replica_path, synchronise

    if len(stores) > 2:
        raise click.UsageError("give at most LOCAL and URL")
    try:
        url = parse_location(stores[-1])
    except LocationError as exc:
        raise click.BadParameter(str(exc)) from exc
    server_url = _server_url(url)
    if server_url.user is None:
        server_url = server_url.with_user(user_id)
    local = Path(stores[0]) if len(stores) == 2 else replica_path(server_url)
    local.parent.mkdir(parents=True, exist_ok=True)
    try:
        with AnnotationStore.open(local) as store:
            follow(store, server_url)
            with AnnotationStore.open(server_url) as server:
                adopt_profile(store, server, user_id)
                store.switch_user(user_id)
                report = synchronise(store, server)
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=1))
    else:
        click.echo(f"pushed {report.pushed} events ({report.already_there} were already there), "
                   f"pulled {report.pulled}")
        for conflict in report.conflicts:
            click.echo(f"conflict: {conflict}", err=True)
    if report.conflicts:
        raise SystemExit(EXIT_CONFLICTS)
