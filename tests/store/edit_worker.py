"""A workstation in a child process: edits a store and acknowledges each committed edit.

``python -m tests.store.edit_worker STORE USER RECORD LEADS COUNT [GO_FILE]`` moves the onset
of each wave on LEADS (comma-separated) by one sample, up to COUNT edits, and prints
``ack WAVE_ID NEW_ONSET`` after each edit has been committed (the store's call returned).
With GO_FILE it prints ``ready`` and waits for that file, so several workers start together.
The keyring is the test's file keyring, named by the environment.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tests.store.file_keyring import ENV_VAR, use_file_keyring
from workstation.core.annotation import Boundary
from workstation.core.commands import ConflictError, MoveBoundary
from workstation.store import AnnotationStore


def main(argv: list[str]) -> int:
    store_path, user, record, leads, count = argv[:5]
    use_file_keyring(Path(os.environ[ENV_VAR]))
    with AnnotationStore.open(store_path) as store:
        store.switch_user(user)
        session = store.open_session(record)
        if len(argv) > 5:
            print("ready", flush=True)
            while not Path(argv[5]).exists():
                time.sleep(0.005)
        targets = [w for lead in leads.split(",") for w in session.state.waves_in(lead)]
        for wave in targets[:int(count)]:
            onset = session.state.wave(wave.id).onset
            new = onset + 1 if onset % 2 == 0 else onset - 1  # back and forth: never runs off
            try:
                session.execute(MoveBoundary.of(session.state, wave.id, Boundary.ONSET, new))
            except ConflictError as exc:
                print(f"conflict {wave.id} {exc}", flush=True)
                continue
            print(f"ack {wave.id} {new}", flush=True)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
