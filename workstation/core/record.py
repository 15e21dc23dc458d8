"""The ECG record: the document every other part of the workstation reads.

Signals are float32 millivolts shaped (leads, samples) at one sampling rate. Patient fields
live in :class:`Patient`, apart from everything else, so that a de-identified view or export
simply leaves them out. Nothing here imports Qt or torch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workstation.core.leads import DERIVABLE_LEADS, STANDARD_LEADS, sort_key
from workstation.core.signals import ArraySource, DerivedLimbSource, ReorderedSource, SignalSource

#: Plausibility limits. A surface ECG beyond +-50 mV or sampled outside 50..20000 Hz is not
#: a physiological signal but a unit or parsing error, and is refused rather than shown.
MAX_ABS_MV = 50.0
MIN_FS_HZ = 50.0
MAX_FS_HZ = 20000.0
PLAUSIBILITY_WINDOW_S = 60


@dataclass(frozen=True)
class Lead:
    """One channel: its normalised name, the name in the file, and whether it was computed.

    ``adc_per_mv`` and ``adc_zero`` are the recorder's resolution when the file states it
    (digital units per mV, and the unit value of 0 mV): writing the signal again at that
    resolution gives back the very same samples, so the record keeps its identity.
    """

    name: str
    original_name: str = ""
    derived: bool = False
    adc_per_mv: float | None = field(default=None, compare=False)
    adc_zero: int = field(default=0, compare=False)

    @property
    def is_standard(self) -> bool:
        return self.name in STANDARD_LEADS


@dataclass(frozen=True)
class Patient:
    """Identifying fields, kept apart so that they can be withheld on display and export."""

    patient_id: str | None = None
    name: str | None = None
    birth_date: str | None = None
    sex: str | None = None  # "M", "F" or None
    age_years: float | None = None

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in (None, "") for f in dataclasses.fields(self))


@dataclass(frozen=True)
class FilterSettings:
    """Filters the recording device applied, as the file states them (Hz)."""

    highpass_hz: float | None = None
    lowpass_hz: float | None = None
    notch_hz: float | None = None


@dataclass(frozen=True)
class Acquisition:
    """When and with what the ECG was recorded."""

    time: dt.datetime | None = None
    device: str | None = None
    site: str | None = None
    filters: FilterSettings = FilterSettings()


@dataclass(frozen=True)
class DeviceMeasurement:
    """A measurement made by the recording device's own program (e.g. GE 12SL)."""

    #: canonical names where the device measures one of these: "Ventricular rate", "Atrial rate",
    #: "RR", "PP", "P duration", "PR", "QRS", "QT", "QTc", "P axis", "QRS axis", "T axis";
    #: anything else keeps the device's own name.
    name: str
    value: float
    unit: str  # "ms", "bpm", "deg", "uV", ...
    lead: str | None = None  # None for a global measurement


@dataclass(frozen=True)
class Fiducial:
    """A fiducial point placed by the device: a named sample position (P onset, QRS offset...)."""

    kind: str  # "P onset", "P offset", "QRS onset", "QRS offset", "T offset", "fiducial"
    sample: int
    lead: str | None = None
    beat: int | None = None
    on_median: bool = False  # the position is in the median beat, not the rhythm signal


#: :attr:`DeviceReport.program` of measurements and statements read off a printed page (a
#: scan, photo or PDF) rather than taken from a device's file.
PRINTED_PROGRAM = "printed on the page (read from the image)"


@dataclass(frozen=True)
class DeviceReport:
    """What the recording device concluded: measurements, statements and fiducials."""

    program: str | None = None
    measurements: tuple[DeviceMeasurement, ...] = ()
    statements: tuple[str, ...] = ()
    fiducials: tuple[Fiducial, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.measurements or self.statements or self.fiducials)

    @property
    def read_from_image(self) -> bool:
        """The measurements and statements were read off a printed page (OCR), not a file."""
        return self.program == PRINTED_PROGRAM

    def measurement(self, name: str) -> DeviceMeasurement | None:
        return next((m for m in self.measurements if m.name == name), None)


@dataclass(frozen=True)
class Annotation:
    """A WFDB-style annotation on one lead (or on all leads when ``lead`` is None)."""

    sample: int
    symbol: str
    lead: str | None = None
    aux: str = ""


@dataclass(frozen=True)
class SourceInfo:
    """Which file the record came from and how it was read."""

    path: Path
    format: str  # human-readable format name, e.g. "GE MUSE XML"
    detail: str = ""  # version, SOP class, ... as the reader reports it


@dataclass(frozen=True)
class MedianBeats:
    """Representative (median/average) beats as the device computed them."""

    signals: np.ndarray  # float32 mV, (leads, samples)
    fs: float
    leads: tuple[str, ...]

    def in_standard_order(self) -> "MedianBeats":
        """Leads in clinical order when all are standard leads (see ECGRecord.in_standard_order)."""
        if not all(name in STANDARD_LEADS for name in self.leads):
            return self
        order = sorted(range(len(self.leads)), key=lambda i: sort_key(self.leads[i])[0])
        return MedianBeats(self.signals[order], self.fs, tuple(self.leads[i] for i in order))


@dataclass(frozen=True)
class Digitisation:
    """How the signal was measured from a paper ECG image (a scan, photo or PDF), kept with
    the record so that it is never taken for a device's own samples."""

    image_path: Path
    image: bytes  # the original file, unchanged
    page: int  # 0-based page of the file that was digitised
    score: float  # 0..1, how far the digitised signal can be trusted
    reasons: tuple[str, ...]  # what lowers the score, in words
    lead_scores: tuple[tuple[str, float], ...]
    layout: str  # "3x4+rhythm", "6x2", "12x1", ...
    calibration: tuple[tuple[str, float | bool], ...]  # px/mm on x and y, gain, speed, ...
    #: the recogniser's confidence (0..1) for each field read from the page's printed text:
    #: a measurement's name ("Ventricular rate", "PR", ...), "statement 1", ..., "name",
    #: "patient_id", "birth_date", "age", "sex", "acquisition time" (the values themselves are
    #: in the record's device report, patient and acquisition)
    printed: tuple[tuple[str, float], ...] = ()
    #: where the patient's name, id and birth date are printed on the page: (x0, y0, x1, y1)
    #: pixels of page ``page`` of ``image``, blacked out in every image written of it
    identity_boxes: tuple[tuple[int, int, int, int], ...] = ()
    #: per lead, 0..1, how far its beats, intervals and amplitudes can be measured (a lead can
    #: be measurable yet reproduce the printed waveform only roughly); empty: as lead_scores
    lead_measurable: tuple[tuple[str, float], ...] = ()


@dataclass(eq=False)
class ECGRecord:
    """An ECG recording in mV with its context.

    Create it with :meth:`from_array` for in-memory data, or directly with a lazy
    :class:`SignalSource` for long recordings. ``signals`` loads (and caches) the full array;
    ``window`` reads a slice without loading everything.
    """

    source_signals: SignalSource
    fs: float
    leads: tuple[Lead, ...]
    source: SourceInfo
    patient: Patient = field(default_factory=Patient)
    acquisition: Acquisition = field(default_factory=Acquisition)
    device_report: DeviceReport = field(default_factory=DeviceReport)
    annotations: tuple[Annotation, ...] = ()
    median_beats: MedianBeats | None = None
    comments: tuple[str, ...] = ()
    digitisation: Digitisation | None = None  # set when the signal was read off an image
    _cache: np.ndarray | None = field(default=None, repr=False)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_array(cls, signals: np.ndarray, fs: float, leads: list[Lead] | tuple[Lead, ...],
                   source: SourceInfo, **context) -> "ECGRecord":
        data = np.ascontiguousarray(signals, dtype=np.float32)
        return cls(ArraySource(data), float(fs), tuple(leads), source, **context)

    # -- shape --------------------------------------------------------------------------
    @property
    def n_leads(self) -> int:
        return len(self.leads)

    @property
    def n_samples(self) -> int:
        return self.source_signals.n_samples

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    @property
    def lead_names(self) -> tuple[str, ...]:
        return tuple(lead.name for lead in self.leads)

    def lead_index(self, name: str) -> int:
        """Index of lead ``name``; raises KeyError naming the leads that exist."""
        try:
            return self.lead_names.index(name)
        except ValueError:
            raise KeyError(f"lead {name!r} not in record (leads: {', '.join(self.lead_names)})")

    # -- samples ------------------------------------------------------------------------
    @property
    def signals(self) -> np.ndarray:
        """All samples, float32 mV, shape (leads, samples). Cached after the first call."""
        if self._cache is None:
            self._cache = self.source_signals.read(0, self.n_samples)
        return self._cache

    def window(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start:stop`` (clipped to the record) without loading the whole record."""
        if self._cache is not None:
            return self._cache[:, max(0, start):max(0, stop)]
        return self.source_signals.read(start, stop)

    def lead(self, name: str) -> np.ndarray:
        return self.signals[self.lead_index(name)]

    # -- derived views ------------------------------------------------------------------
    def deidentified(self) -> "ECGRecord":
        """The same record without patient fields (signals are shared, not copied)."""
        return dataclasses.replace(self, patient=Patient(), _cache=self._cache)

    def in_standard_order(self) -> "ECGRecord":
        """The leads in clinical order (I, II, III, aVR, aVL, aVF, V1-V6) when every lead is a
        standard one. Records with other leads (a Holter's MLII, V5) keep the file's order,
        which carries meaning there. Returns ``self`` when nothing changes."""
        if not all(lead.is_standard for lead in self.leads):
            return self
        order = sorted(range(self.n_leads), key=lambda i: (sort_key(self.leads[i].name)[0], i))
        if order == list(range(self.n_leads)):
            return self
        source = ReorderedSource(self.source_signals, order)
        cache = self._cache[order] if self._cache is not None else None
        return dataclasses.replace(self, source_signals=source,
                                   leads=tuple(self.leads[i] for i in order), _cache=cache,
                                   median_beats=self.median_beats and self.median_beats.in_standard_order())

    def with_derived_limb_leads(self) -> "ECGRecord":
        """Add III, aVR, aVL, aVF computed from I and II when the file stores only 8 leads.

        Returns ``self`` when nothing is missing or I/II are absent. Derived leads are
        marked ``derived=True`` and the leads are put in standard order.
        """
        names = self.lead_names
        missing = [n for n in DERIVABLE_LEADS if n not in names]
        if not missing or "I" not in names or "II" not in names:
            return self
        items: list[tuple[str, int | str, Lead]] = [
            (lead.name, i, lead) for i, lead in enumerate(self.leads)
        ]
        items += [(n, n, Lead(n, "", derived=True)) for n in missing]
        items.sort(key=lambda item: sort_key(item[0]))
        source = DerivedLimbSource(
            self.source_signals, names.index("I"), names.index("II"), [it[1] for it in items]
        )
        return dataclasses.replace(
            self, source_signals=source, leads=tuple(it[2] for it in items), _cache=None
        )


def check_plausible(record: ECGRecord, *, check_amplitude: bool = True) -> list[str]:
    """Problems that make a record's signal untrustworthy; an empty list means none.

    Used by the readers so that a unit or parsing error is refused with a message instead
    of being shown as a wrong signal.
    """
    problems: list[str] = []
    if not (MIN_FS_HZ <= record.fs <= MAX_FS_HZ):
        problems.append(f"sampling rate {record.fs:g} Hz is outside {MIN_FS_HZ:g}-{MAX_FS_HZ:g} Hz")
    if record.n_leads == 0:
        problems.append("no leads")
    if record.n_leads != record.source_signals.n_leads:
        problems.append(f"{record.n_leads} lead names for {record.source_signals.n_leads} signals")
    if record.n_samples == 0:
        problems.append("no samples")
    if check_amplitude and record.n_samples and record.n_leads:
        # a long lazy record is checked on its first minute rather than loaded whole
        long_lazy = record._cache is None and record.n_samples > PLAUSIBILITY_WINDOW_S * record.fs
        data = record.window(0, int(PLAUSIBILITY_WINDOW_S * record.fs)) if long_lazy else record.signals
        if not np.isfinite(data).any():
            problems.append("no finite sample in any lead")
        else:
            peak = float(np.nanmax(np.abs(data)))
            if peak > MAX_ABS_MV:
                problems.append(
                    f"amplitude {peak:.1f} mV exceeds {MAX_ABS_MV:g} mV (wrong units or scale?)"
                )
    return problems
