"""The store on PostgreSQL against the SQLite file: edits, agreement, and synchronisation.

Run: ``.venv/bin/python benchmarks/server_store_speed.py [--records 200]`` (needs the
[server] and [test] extras: it starts a throwaway PostgreSQL on 127.0.0.1 like the tests).
Builds the same synthetic panel in a SQLite file and on the server (per record a model
proposal, 5 readers each moving 6 boundaries and submitting: ~8 events per set), then times
``ecgws agreement`` (first report, then warm), as the owner and, on the server, as an
adjudicator (row-level security on every row), and pushes one reader's offline work
(a local copy following the server) to time the synchronisation per event.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.agreement_speed import ANNOTATORS, add_record  # noqa: E402
from tests.postgres import start_server  # noqa: E402
from tests.store.file_keyring import use_file_keyring  # noqa: E402
from workstation.store import AnnotationStore, Role  # noqa: E402
from workstation.store.location import ServerUrl  # noqa: E402
from workstation.store.server_schema import add_member  # noqa: E402
from workstation.store.sync import follow, synchronise  # noqa: E402


def build(store: AnnotationStore, n: int) -> float:
    """Seconds per event while building the panel."""
    for annotator in ANNOTATORS:
        store.add_annotator(annotator, annotator)
    started = time.perf_counter()
    for i in range(n):
        add_record(store, i)
    events = store.database.execute("SELECT count(*) FROM events").fetchone()[0]
    return (time.perf_counter() - started) / events


def report_times(location: str) -> tuple[float, float]:
    from workstation.panel.agreement import agreement
    from workstation.panel.sources import all_sources, load_panel

    times = []
    with AnnotationStore.open(location) as store:
        for _ in range(2):
            started = time.perf_counter()
            agreement(load_panel(store, all_sources(store)))
            times.append(time.perf_counter() - started)
    return times[0], times[1]


def sync_time(server_url: str, adjudicator_url: str, folder: Path, n: int) -> tuple[int, float]:
    """(events pushed, seconds per event) for one reader's offline work on ``n`` records."""
    local = AnnotationStore.open(folder / "copy.ecgws")
    local.add_annotator("offline1", "offline1")
    local.switch_user("offline1")
    url = ServerUrl(server_url)
    follow(local, url)
    with AnnotationStore.open(url) as server:
        synchronise(local, server)
    from workstation.core.annotation import Boundary
    from workstation.core.commands import MoveBoundary

    for record in local.database.execute("SELECT id FROM records ORDER BY id LIMIT ?", [n]):
        session = local.open_session(record[0])
        for wave in session.state.waves_in("II")[:6]:
            session.execute(MoveBoundary.of(session.state, wave.id, Boundary.ONSET,
                                            max(0, wave.onset - 2)))
        session.submit()
    started = time.perf_counter()
    with AnnotationStore.open(url) as server:
        report = synchronise(local, server)
    local.close()
    return report.pushed, (time.perf_counter() - started) / max(report.pushed, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200)
    args = parser.parse_args()
    server = start_server()
    try:
        with tempfile.TemporaryDirectory(prefix="ecgws-serverbench-") as folder:
            tmp = Path(folder)
            use_file_keyring(tmp / "keyring.json")
            os.environ["PGPASSFILE"] = str(server.passfile)
            server.admin_sql("CREATE DATABASE bench", database="postgres")
            admin = server.url(database="bench")
            for user, role in (("adj1", "adjudicator"), ("offline1", "annotator")):
                server.create_login(user, f"pw-{user}-bench")
            sqlite = str(tmp / "panel.ecgws")
            results = {}
            for name, location in (("sqlite", sqlite), ("postgresql", admin)):
                with AnnotationStore.open(location) as store:
                    if name == "postgresql":
                        for user, role in (("adj1", "adjudicator"), ("offline1", "annotator")):
                            add_member(store.database, user, role)
                    per_event = build(store, args.records)
                results[name] = (per_event, *report_times(location))
            with AnnotationStore.open(server.url("adj1", database="bench")) as adj:
                adj.add_annotator("adj1", "adj1", Role.ADJUDICATOR)
            results["postgresql, as an adjudicator (RLS)"] = (
                None, *report_times(server.url("adj1", database="bench")))
            pushed, per_push = sync_time(server.url("offline1", database="bench"),
                                         server.url("adj1", database="bench"), tmp,
                                         min(50, args.records))
    finally:
        server.stop()
    print(f"{args.records} records x (1 proposal + {len(ANNOTATORS)} readers), TLS on loopback")
    print(f"{'store':40} {'ms/event (build)':>17} {'first report s':>15} {'warm report s':>14}")
    for name, (per_event, first, warm) in results.items():
        built = f"{per_event * 1000:.1f}" if per_event else "-"
        print(f"{name:40} {built:>17} {first:>15.2f} {warm:>14.2f}")
    print(f"sync: {pushed} offline events pushed, {per_push * 1000:.1f} ms per event")


if __name__ == "__main__":
    main()
