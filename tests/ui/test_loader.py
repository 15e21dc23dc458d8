"""Reading off the GUI thread: results arrive as signals and a stale result is dropped."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.ui.synthetic import resting_record
from workstation.io.errors import ECGReadError
from workstation.ui.loader import RecordLoader


def test_newest_request_wins(qtbot) -> None:
    release_slow = threading.Event()

    def reader(path: Path):
        if path.name == "slow.hea":
            release_slow.wait(5)
        return resting_record(path=str(path))

    loader = RecordLoader(reader=reader)
    loaded: list[Path] = []
    loader.loaded.connect(lambda path, record: loaded.append(path))
    loader.load(Path("slow.hea"))
    with qtbot.waitSignal(loader.loaded, timeout=5000):
        loader.load(Path("fast.hea"))
    release_slow.set()
    assert loader.wait(5000)
    qtbot.wait(50)  # let the slow result's queued signal arrive, to be dropped
    assert loaded == [Path("fast.hea")]


def test_failures_carry_the_reader_message(qtbot) -> None:
    def reader(path: Path):
        raise ECGReadError(path, "not a recognised ECG format")

    loader = RecordLoader(reader=reader)
    with qtbot.waitSignal(loader.failed, timeout=5000) as blocker:
        loader.load(Path("x.bin"))
    assert blocker.args[1] == "x.bin: not a recognised ECG format"


def test_reader_bugs_become_messages_too(qtbot) -> None:
    def reader(path: Path):
        raise ZeroDivisionError("oops")

    loader = RecordLoader(reader=reader)
    with qtbot.waitSignal(loader.failed, timeout=5000) as blocker:
        loader.load(Path("x.bin"), background=False)
    assert "ZeroDivisionError" in blocker.args[1]
