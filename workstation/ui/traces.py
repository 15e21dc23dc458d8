"""The samples a view draws: the record's own, passed through the display conditioning.

Views read through :class:`DisplaySignals` and never touch ``record.signals`` directly, so
that a filter toggled on screen can never reach the record. Short records are conditioned
once as a whole; long ones (a Holter) window by window, with padding so that the filters'
edge transients fall outside what is shown. Pure numpy, no Qt.
"""

from __future__ import annotations

import numpy as np

from workstation.core.conditioning import ConditioningSettings, condition
from workstation.core.record import ECGRecord

#: A record with more values than this (leads x samples) is read window by window.
LONG_RECORD_VALUES = 4_000_000
#: Extra signal read on each side of a window before filtering (s). The baseline high-pass
#: (0.67 Hz) settles within about 1.5 s; 5 s keeps its transient well out of sight.
FILTER_PAD_S = 5.0


def is_long(record: ECGRecord) -> bool:
    """Whether the record should be read lazily, window by window."""
    return record.n_samples * max(1, record.n_leads) > LONG_RECORD_VALUES


class DisplaySignals:
    """Read-only, conditioned samples of one record for display.

    Parameters
    ----------
    record
        The record; it is only read.
    settings
        Display filters; the raw signal when ``settings.is_raw``.
    """

    def __init__(self, record: ECGRecord, settings: ConditioningSettings = ConditioningSettings()):
        self.record = record
        self.settings = settings
        self.lazy = is_long(record)
        self._full: np.ndarray | None = None
        self._window: tuple[int, int, np.ndarray] | None = None

    def read(self, lead_index: int, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop`` (clipped to the record) of one lead, float32 mV, read-only."""
        start, stop = _clip(start, stop, self.record.n_samples)
        if not self.lazy:
            return self._whole()[lead_index, start:stop]
        w_start, w_stop, data = self._covering(start, stop)
        return data[lead_index, start - w_start:stop - w_start]

    def _whole(self) -> np.ndarray:
        if self._full is None:
            raw = self.record.signals
            data = raw if self.settings.is_raw else condition(raw, self.record.fs, self.settings)
            self._full = _read_only(data)
        return self._full

    def _covering(self, start: int, stop: int) -> tuple[int, int, np.ndarray]:
        """A cached conditioned window containing ``start:stop``, read if needed."""
        if self._window is not None:
            w_start, w_stop, data = self._window
            if w_start <= start and stop <= w_stop:
                return self._window
        self._window = self._read_window(start, stop)
        return self._window

    def _read_window(self, start: int, stop: int) -> tuple[int, int, np.ndarray]:
        if self.settings.is_raw:
            return start, stop, _read_only(self.record.window(start, stop))
        pad = int(FILTER_PAD_S * self.record.fs)
        p_start, p_stop = _clip(start - pad, stop + pad, self.record.n_samples)
        padded = condition(self.record.window(p_start, p_stop), self.record.fs, self.settings)
        return start, stop, _read_only(padded[:, start - p_start:stop - p_start])


def _read_only(data: np.ndarray) -> np.ndarray:
    view = data.view()
    view.flags.writeable = False
    return view


def _clip(start: int, stop: int, n: int) -> tuple[int, int]:
    start = max(0, min(int(start), n))
    return start, max(start, min(int(stop), n))
