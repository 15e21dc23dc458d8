"""The Qt-free parts of the UI layer: decimation, view state, banner text, drop choice, actions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from tests.ui.synthetic import holter_record, resting_record
from workstation.core.conditioning import ConditioningSettings
from workstation.core.layout import LayoutKind
from workstation.core.record import Acquisition, FilterSettings, Patient
from workstation.ui.actions import ACTIONS
from workstation.ui.decimate import peak_decimate
from workstation.ui.dialogs import choose_dropped_file
from workstation.ui.paper_items import caliper_text
from workstation.ui.paper_text import format_time, tick_step_s
from workstation.ui.state import ViewState, describe_conditioning
from workstation.ui.summary import age_text, banner_content, describe_device_filters, duration_text
from workstation.ui.traces import DisplaySignals


def test_peak_decimation_keeps_every_extreme() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=100_003).astype(np.float32)
    y[54_321] = 40.0  # a lone spike must survive
    x, yd = peak_decimate(y, 1000, x0=5.0, dx=0.1)
    assert len(yd) <= 2 * 1000 + 200
    assert yd.max() == pytest.approx(40.0) and yd.min() == pytest.approx(y.min())
    assert x[np.argmax(yd)] == pytest.approx(5.0 + 0.1 * 54_321)
    assert np.all(np.diff(x) >= 0)


def test_peak_decimation_leaves_short_input_and_nan_gaps() -> None:
    x, y = peak_decimate(np.arange(10.0), 100)
    assert len(y) == 10 and x[3] == 3.0
    data = np.ones(10_000)
    data[2000:4000] = np.nan
    x, y = peak_decimate(data, 100)
    assert np.isnan(y).any() and np.nanmax(y) == 1.0


def test_display_signals_never_write_the_record() -> None:
    record = resting_record()
    before = record.signals.copy()
    signals = DisplaySignals(record, ConditioningSettings(baseline_removal=True, lowpass_hz=40.0))
    view = signals.read(1, 0, 5000)
    assert not view.flags.writeable
    assert not np.array_equal(view, before[1])
    assert np.array_equal(record.signals, before)
    raw = DisplaySignals(record).read(1, 100, 200)
    with pytest.raises(ValueError):
        raw[0] = 5.0  # read-only even though it shares the record's memory


def test_lazy_display_signals_read_padded_windows() -> None:
    record, reader = holter_record(hours=24.0)
    signals = DisplaySignals(record, ConditioningSettings(baseline_removal=True))
    assert signals.lazy
    chunk = signals.read(0, 1_000_000, 1_002_500)
    assert chunk.shape == (2500,)
    assert reader.largest == 2500 + 2 * 5 * 250  # the window plus 5 s of padding each side
    signals.read(1, 1_000_100, 1_002_000)  # inside the cached window: no new read
    assert len(reader.calls) == 1


def test_state_transitions() -> None:
    s = ViewState()
    assert s.layout is LayoutKind.STANDARD_3X4_RHYTHM and s.paper.speed_mm_s == 25 and s.conditioning.is_raw
    s = s.toggle_notch(50).toggle_notch(60)
    assert s.conditioning.notch_hz == 60
    assert s.toggle_notch(60).conditioning.notch_hz is None
    s = s.toggle_lowpass(40).toggle_lowpass(150)
    assert s.conditioning.lowpass_hz == 150
    assert s.with_gain(5).with_speed(50).paper.describe() == "50 mm/s  5 mm/mV"
    assert describe_conditioning(s.toggle_baseline().conditioning) == (
        "baseline 0.67 Hz HP, 60 Hz notch, 150 Hz LP")
    assert describe_conditioning(ConditioningSettings()) == "none (raw signal)"


def test_banner_content_and_age() -> None:
    acq = Acquisition(time=dt.datetime(2024, 5, 19, 8, 0), device="MAC 5500",
                      filters=FilterSettings(0.05, 150.0, 50.0))
    record = resting_record(patient=Patient(name="Roe", birth_date="1960-05-20"))
    import dataclasses

    record = dataclasses.replace(record, acquisition=acq)
    content = banner_content(record, deidentify=False, display_filters="none")
    assert dict(content.identity)["Age"] == "63 y"  # one day before the 64th birthday
    assert dict(content.context)["Device filters"] == "0.05–150 Hz, 50 Hz notch"
    assert banner_content(record, deidentify=True, display_filters="").identity == ()
    assert age_text(Patient(birth_date="garbage"), acq.time) == "—"
    assert describe_device_filters(FilterSettings()) == "not stated"


def test_duration_and_time_texts() -> None:
    assert duration_text(10.0) == "10.0 s"
    assert duration_text(24 * 3600) == "24 h 00 min 00 s"
    assert duration_text(300) == "5 min 00 s"
    assert format_time(3725.0) == "01:02:05"
    assert format_time(60.0, dt.datetime(2024, 1, 1, 23, 59, 30)) == "00:00:30"
    assert tick_step_s(8.0) == 1 and tick_step_s(300.0) == 60


def test_caliper_text() -> None:
    from workstation.core.layout import CaliperMeasurement

    assert caliper_text(CaliperMeasurement(-800.0, 1.234)) == "Δt 800 ms  75 bpm   ΔV 1.23 mV"
    assert "bpm" not in caliper_text(CaliperMeasurement(0.0, 1.0))


def test_dropped_files(tmp_path: Path) -> None:
    (tmp_path / "r.hea").write_text("r 1 500 10\n")
    assert choose_dropped_file([tmp_path / "r.dat"]) == tmp_path / "r.hea"
    assert choose_dropped_file([tmp_path / "a.xml", tmp_path / "b.hea"]) == tmp_path / "b.hea"
    assert choose_dropped_file([tmp_path / "a.xml"]) == tmp_path / "a.xml"
    assert choose_dropped_file([]) is None


def test_actions_table_is_consistent() -> None:
    keys = [spec.key for spec in ACTIONS]
    assert len(keys) == len(set(keys))
    for spec in ACTIONS:
        assert (spec.update is None) != (spec.command is None), spec.key
    shortcuts = [spec.shortcut for spec in ACTIONS if spec.shortcut]
    assert len(shortcuts) == len(set(shortcuts))
    layouts = {spec.layout for spec in ACTIONS if spec.layout}
    assert layouts == {LayoutKind.STANDARD_3X4_RHYTHM, LayoutKind.SIX_BY_TWO, LayoutKind.TWELVE_BY_ONE}
