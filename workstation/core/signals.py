"""Where a record's samples come from: held in memory, or read lazily window by window.

A 10 s resting ECG is a few hundred kilobytes and simply lives in memory. A 24 h Holter is
not loaded at once: its :class:`SignalSource` reads the window the viewer asks for.
All sources return float32 millivolts shaped (leads, samples).
"""

from __future__ import annotations

from typing import Callable, Protocol, Sequence

import numpy as np

from workstation.core.leads import derive_limb_leads


class SignalSource(Protocol):
    """Random access to a record's samples in mV."""

    @property
    def n_leads(self) -> int: ...

    @property
    def n_samples(self) -> int: ...

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop`` of every lead, float32 mV, shape (n_leads, stop - start)."""
        ...


class ArraySource:
    """A source backed by an in-memory (or memory-mapped) array."""

    def __init__(self, data: np.ndarray) -> None:
        if data.ndim != 2:
            raise ValueError(f"signals must be 2-D (leads x samples), got shape {data.shape}")
        self._data = data

    @property
    def n_leads(self) -> int:
        return int(self._data.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self._data.shape[1])

    def read(self, start: int, stop: int) -> np.ndarray:
        start, stop = _clip(start, stop, self.n_samples)
        return np.asarray(self._data[:, start:stop], dtype=np.float32)


class ChunkedSource:
    """A lazy source that calls ``reader(start, stop)`` for each window it is asked for.

    Used for long recordings: the reader decodes only the requested samples from disk.
    """

    def __init__(
        self, n_leads: int, n_samples: int, reader: Callable[[int, int], np.ndarray]
    ) -> None:
        self._n_leads = n_leads
        self._n_samples = n_samples
        self._reader = reader

    @property
    def n_leads(self) -> int:
        return self._n_leads

    @property
    def n_samples(self) -> int:
        return self._n_samples

    def read(self, start: int, stop: int) -> np.ndarray:
        start, stop = _clip(start, stop, self.n_samples)
        if stop <= start:
            return np.zeros((self.n_leads, 0), dtype=np.float32)
        return np.asarray(self._reader(start, stop), dtype=np.float32)


class DerivedLimbSource:
    """Wraps a source holding I and II (and others) and appends III, aVR, aVL, aVF.

    ``order`` lists, for each output lead, either an index into the base source or the
    name of a derived lead.
    """

    def __init__(
        self, base: SignalSource, index_i: int, index_ii: int, order: Sequence[int | str]
    ) -> None:
        self._base = base
        self._i = index_i
        self._ii = index_ii
        self._order = tuple(order)

    @property
    def n_leads(self) -> int:
        return len(self._order)

    @property
    def n_samples(self) -> int:
        return self._base.n_samples

    def read(self, start: int, stop: int) -> np.ndarray:
        raw = self._base.read(start, stop)
        derived = derive_limb_leads(raw[self._i], raw[self._ii])
        rows = [raw[item] if isinstance(item, int) else derived[item] for item in self._order]
        return np.stack(rows).astype(np.float32, copy=False)


class ReorderedSource:
    """Another source's leads in a different order (``order[k]`` is the base index of lead k)."""

    def __init__(self, base: SignalSource, order: Sequence[int]) -> None:
        self._base = base
        self._order = list(order)

    @property
    def n_leads(self) -> int:
        return len(self._order)

    @property
    def n_samples(self) -> int:
        return self._base.n_samples

    def read(self, start: int, stop: int) -> np.ndarray:
        return self._base.read(start, stop)[self._order]


def _clip(start: int, stop: int, n: int) -> tuple[int, int]:
    start = max(0, min(int(start), n))
    stop = max(start, min(int(stop), n))
    return start, stop
