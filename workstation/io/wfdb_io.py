"""WFDB records (PhysioNet): every signal format wfdb reads, multi-segment records, MATLAB ``.mat``.

Read with the ``wfdb`` package. Short records are loaded; long ones (a 24 h Holter) get a
lazy :class:`~workstation.core.signals.ChunkedSource` that decodes only the window asked for.
Annotation files beside the header (``REC.atr``, LUDB's per-lead ``REC.i`` ... ``REC.v6``)
are read too; an extension equal to a lead's name marks that lead's annotations.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import wfdb

from workstation.core.deidentify import remove_names
from workstation.core.delineation import annotation_extension, write_annotation_file
from workstation.core.leads import normalise_lead_name
from workstation.core.record import (
    Acquisition,
    Annotation,
    ECGRecord,
    Lead,
    Patient,
    SourceInfo,
)
from workstation.core.signals import ArraySource, ChunkedSource
from workstation.io.registry import ReaderSpec

#: Records with more samples than this (all leads together) are read lazily.
LAZY_THRESHOLD_SAMPLES = 1_000_000

#: Physical units a WFDB header may give for an ECG channel, as factors to mV.
_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3, "nv": 1e-6}
_SIGNAL_EXTENSIONS = {".hea", ".dat", ".mat", ".edf", ".csv", ".txt", ".json", ".xml", ".png",
                      ".pdf", ".md", ".npy", ".npz", ".zip", ".gz", ".xws", ".py"}
_RECORD_LINE = re.compile(r"^\s*(\S+?)(?:/(\d+))?\s+(\d+)(?:\s+([\d.eE+-]+)(?:/[\d.eE+-]+)?)?")


def sniff(path: Path, head: bytes) -> bool:
    """A ``.hea`` file whose first non-comment line is a WFDB record line."""
    if path.suffix.lower() != ".hea":
        return False
    for line in head.decode("latin-1").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            match = _RECORD_LINE.match(line)
            return bool(match) and match.group(1) == path.stem
    return False


def read(path: Path) -> ECGRecord:
    """Read the WFDB record whose header is ``path``."""
    record_name = str(path.with_suffix(""))
    header = wfdb.rdheader(record_name)
    n_samples = int(header.sig_len or 0)
    if n_samples <= 0:
        raise ValueError("header declares no samples (signal length 0 or missing)")
    names, units = _names_and_units(path, header)
    keep, factors = _voltage_channels(names, units)
    if not keep:
        raise ValueError(f"no channel in millivolts or microvolts (units: {', '.join(units)})")
    _check_data_files(path, header)
    _check_file_sizes(path, header)
    source = _make_source(record_name, header, n_samples, keep,
                          np.asarray(factors, dtype=np.float32))
    leads = tuple(Lead(normalise_lead_name(names[i]), names[i], False, *_resolution(header, i, f))
                  for i, f in zip(keep, factors))
    comments = tuple(header.comments or ())
    return ECGRecord(
        source,
        float(header.fs),
        leads,
        SourceInfo(path, "WFDB", _detail(header)),
        patient=_patient_from_comments(comments),
        acquisition=Acquisition(time=_base_datetime(header)),
        annotations=_read_annotations(path, {lead.original_name.lower(): lead.name for lead in leads}),
        comments=comments,
    )


def _resolution(header, channel: int, to_mv: float) -> tuple[float | None, int]:
    """Digital units per mV and the digital value of 0 mV, as the header states them."""
    if isinstance(header, wfdb.MultiRecord) or not header.adc_gain:
        return None, 0
    gain = float(header.adc_gain[channel])
    zero = int((header.baseline or [0] * (channel + 1))[channel])
    return (gain / to_mv if gain > 0 else None), zero


def _names_and_units(path: Path, header) -> tuple[list[str], list[str]]:
    """Signal names and units; a multi-segment record takes them from its layout or first segment."""
    if isinstance(header, wfdb.MultiRecord):
        segment = next(seg for seg in header.seg_name if seg != "~")
        header = wfdb.rdheader(str(path.parent / segment))
    names = list(header.sig_name or [])
    return names, [str(u) for u in (header.units or ["mV"] * len(names))]


def _voltage_channels(names: list[str], units: list[str]) -> tuple[list[int], list[float]]:
    keep, factors = [], []
    for i, unit in enumerate(units[: len(names)]):
        factor = _TO_MV.get(unit.strip().lower() or "mv")
        if factor is not None:
            keep.append(i)
            factors.append(factor)
    return keep, factors


def _check_data_files(path: Path, header: wfdb.Record | wfdb.MultiRecord) -> None:
    """Name a missing signal file up front instead of failing deep inside wfdb."""
    files = getattr(header, "file_name", None) or []
    if isinstance(header, wfdb.MultiRecord):
        files = [f"{seg}.hea" for seg in header.seg_name if seg != "~"]
    for name in dict.fromkeys(files):
        if not (path.parent / name).exists():
            raise ValueError(f"the signal file {name} named in the header is missing")


#: Bytes per sample of the WFDB signal formats (used to detect truncated signal files).
_BYTES_PER_SAMPLE = {"8": 1, "16": 2, "61": 2, "80": 1, "160": 2, "212": 1.5, "24": 3, "32": 4,
                     "310": 4 / 3, "311": 4 / 3}


def _check_file_sizes(path: Path, header) -> None:
    """Refuse a signal file shorter than the header declares, naming it."""
    if isinstance(header, wfdb.MultiRecord):
        return
    per_file: dict[str, list[float]] = {}
    for name, fmt, spf, offset in zip(header.file_name, header.fmt, header.samps_per_frame or
                                      [1] * len(header.fmt), header.byte_offset or [None] * len(header.fmt)):
        entry = per_file.setdefault(name, [0.0, float(offset or 0)])
        if str(fmt) not in _BYTES_PER_SAMPLE:
            entry[0] = float("nan")  # compressed (FLAC) formats: size not predictable
            continue
        entry[0] += _BYTES_PER_SAMPLE[str(fmt)] * (spf or 1)
    for name, (bytes_per_frame, offset) in per_file.items():
        if np.isnan(bytes_per_frame):
            continue
        needed = int(offset + np.floor(bytes_per_frame * header.sig_len))
        size = (path.parent / name).stat().st_size
        if size < needed:
            raise ValueError(f"signal file {name} is truncated: {size} bytes, the header "
                             f"declares {header.sig_len} samples ({needed} bytes)")


def _make_source(record_name: str, header, n_samples: int, keep: list[int], factors: np.ndarray):
    read_range = _range_reader(record_name, header, keep)

    def reader(start: int, stop: int) -> np.ndarray:
        rec = read_range(start, stop)
        data = rec.p_signal if rec.p_signal is not None else np.zeros((stop - start, len(keep)))
        if data.shape[0] != stop - start:
            raise ValueError(f"signal file holds fewer samples than the header declares ({n_samples})")
        return (data.T * factors[:, None]).astype(np.float32)

    if n_samples * len(keep) > LAZY_THRESHOLD_SAMPLES:
        reader(0, min(n_samples, 1000))  # fail now, not when the viewer scrolls
        return ChunkedSource(len(keep), n_samples, reader)
    return ArraySource(reader(0, n_samples))


def _range_reader(record_name: str, header, keep: list[int]):
    """``(start, stop) -> wfdb.Record`` of the channels ``keep``, as ``wfdb.rdrecord`` reads it.

    A single-segment record's header is parsed once, here: ``rdrecord`` parses it again for
    every window (a third of its time on a Holter read window by window). Each window decodes
    its samples from the signal files with wfdb's own reader and converts them to physical
    units exactly as ``rdrecord`` does.
    """
    def public_read(start: int, stop: int) -> wfdb.Record:
        return wfdb.rdrecord(record_name, sampfrom=start, sampto=stop, channels=keep)

    if isinstance(header, wfdb.MultiRecord) or not getattr(header, "file_name", None):
        return public_read
    try:
        from wfdb.io import _signal
    except ImportError:  # a wfdb release that moved its private reader
        return public_read

    dir_name = os.path.dirname(os.path.abspath(record_name))
    use_public = False

    def read_range(start: int, stop: int) -> wfdb.Record:
        nonlocal use_public
        if not use_public:
            try:
                return fast_read(start, stop)
            except (AttributeError, TypeError):  # private API changed: the public reader
                use_public = True
        return public_read(start, stop)

    def fast_read(start: int, stop: int) -> wfdb.Record:
        rec = copy.deepcopy(header)
        rec.check_read_inputs(start, stop, keep, True, True, 64)
        rec.e_d_signal = _signal._rd_segment(
            file_name=rec.file_name, dir_name=dir_name, pn_dir=None, fmt=rec.fmt,
            n_sig=rec.n_sig, sig_len=rec.sig_len, byte_offset=rec.byte_offset,
            samps_per_frame=rec.samps_per_frame, skew=rec.skew, init_value=rec.init_value,
            sampfrom=start, sampto=stop, channels=keep, ignore_skew=False, no_file=False,
            sig_data=None, return_res=64)
        rec._arrange_fields(channels=keep, sampfrom=start, smooth_frames=True)
        rec.dac(expanded=False, return_res=64, inplace=True)
        return rec

    return read_range


def _detail(header) -> str:
    if isinstance(header, wfdb.MultiRecord):
        return f"multi-segment ({len(header.seg_name)} segments)"
    fmts = sorted(set(map(str, header.fmt or [])))
    return f"format {'/'.join(fmts)}" + (" (.mat)" if any(str(f).endswith(".mat") for f in header.file_name or []) else "")


def _base_datetime(header) -> dt.datetime | None:
    if header.base_date is None:
        return None
    return dt.datetime.combine(header.base_date, header.base_time or dt.time())


_AGE = re.compile(r"^\s*<?age>?\s*:\s*([\d.]+)", re.IGNORECASE)
_SEX = re.compile(r"^\s*<?sex>?\s*:\s*(\w+)", re.IGNORECASE)


def _patient_from_comments(comments: tuple[str, ...]) -> Patient:
    """Age and sex from the usual header comments (LUDB ``<age>: 51``, CinC ``Age: 59``)."""
    age = sex = None
    for line in comments:
        if (m := _AGE.match(line)) and age is None:
            age = float(m.group(1))
        if (m := _SEX.match(line)) and sex is None:
            sex = {"m": "M", "male": "M", "f": "F", "female": "F"}.get(m.group(1).lower())
    return Patient(sex=sex, age_years=age)


def _read_annotations(path: Path, lead_by_ext: dict[str, str]) -> tuple[Annotation, ...]:
    """Annotation files sharing the record's name; per-lead ones are tagged with their lead.

    ``wfdb.rdann`` re-parses the record header for every annotation file only to learn the
    sampling rate, which we already have (about 30 ms a file, 12 files per LUDB record). The
    files are therefore read from a private copy in a folder without the header.
    """
    candidates = [c for c in sorted(path.parent.glob(path.stem + ".*"))
                  if c.suffix.lower() not in _SIGNAL_EXTENSIONS and c.name.count(".") == 1]
    if not candidates:
        return ()
    found: list[Annotation] = []
    with tempfile.TemporaryDirectory(prefix="ecgws-ann-") as tmp:
        for candidate in candidates:
            copy = Path(tmp) / ("a" + candidate.suffix)
            shutil.copyfile(candidate, copy)
            try:
                ann = wfdb.rdann(str(copy.with_suffix("")), candidate.suffix[1:])
            except Exception:  # noqa: BLE001 - a foreign file beside the record is not an error
                continue
            lead = lead_by_ext.get(candidate.suffix[1:].lower())
            aux = ann.aux_note or [""] * len(ann.sample)
            found += [Annotation(int(s), str(sym), lead, str(a or "").strip("\x00"))
                      for s, sym, a in zip(ann.sample, ann.symbol, aux)]
    return tuple(found)


def write(record: ECGRecord, out_dir: Path, stem: str, *, keep_identity: bool = False) -> list[Path]:
    """Write ``record`` as WFDB ``stem.hea``/``stem.dat`` (format 16) plus annotation files.

    Each channel keeps the resolution it was recorded at when the file it came from stated it
    (so a record read, written and read again has the same samples, hence the same id in the
    annotation store); otherwise its gain is 1000 adu/mV (1 uV resolution) unless the
    signal's range needs a smaller gain to fit 16 bits. Per-lead annotations go to ``stem.<lead in lower case>``
    (the LUDB convention); annotations of no lead go to ``stem.atr``. Device measurements
    and statements are kept as header comments. Patient fields are left out unless
    ``keep_identity`` is true.

    Returns the paths written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    signals = record.signals.astype(np.float64)
    names = [lead.name for lead in record.leads]
    gains, zeros = zip(*(_resolution_for(lead, signals[i]) for i, lead in enumerate(record.leads)))
    wfdb.wrsamp(
        stem, fs=record.fs, units=["mV"] * len(names), sig_name=names,
        p_signal=signals.T, fmt=["16"] * len(names), adc_gain=list(gains), baseline=list(zeros),
        comments=_comments_for(record, keep_identity), write_dir=str(out_dir),
        base_datetime=record.acquisition.time if keep_identity else None,
    )
    written = [out_dir / f"{stem}.hea", out_dir / f"{stem}.dat"]
    groups: dict[str | None, list[Annotation]] = {}
    for ann in record.annotations:
        groups.setdefault(ann.lead, []).append(ann)
    for lead, anns in groups.items():
        ext = "atr" if lead is None else annotation_extension(lead)
        anns.sort(key=lambda a: a.sample)
        written.append(write_annotation_file(out_dir, stem, ext, [a.sample for a in anns],
                                             [a.symbol for a in anns], record.fs,
                                             [a.aux for a in anns]))
    return written


def _resolution_for(lead: Lead, x: np.ndarray) -> tuple[float, int]:
    """The lead's own resolution when it is known and its samples fit 16 bits there (so the
    file gives back the same samples), else 1 uV (or coarser, to fit)."""
    if lead.adc_per_mv:
        finite = x[np.isfinite(x)]
        if not finite.size or np.abs(finite * lead.adc_per_mv + lead.adc_zero).max() < 32767:
            return lead.adc_per_mv, lead.adc_zero
    return _gain_for(x), 0


def _gain_for(x: np.ndarray) -> float:
    peak = float(np.nanmax(np.abs(x))) if np.isfinite(x).any() else 0.0
    return 1000.0 if peak * 1000.0 < 32000 else float(np.floor(32000.0 / peak))


def _comments_for(record: ECGRecord, keep_identity: bool) -> list[str]:
    lines = [f"source: {record.source.format} {record.source.path.name}"]
    if keep_identity:
        p = record.patient
        if p.age_years is not None:
            lines.append(f"<age>: {p.age_years:g}")
        if p.sex:
            lines.append(f"<sex>: {p.sex}")
    report = record.device_report
    if report.program:
        lines.append(f"device program: {report.program}")
    lines += [f"device {m.name}{' ' + m.lead if m.lead else ''}: {m.value:g} {m.unit}"
              for m in report.measurements]
    # without --keep-identity, no staff name written into a statement leaves with the record
    lines += [f"device statement: {s if keep_identity else remove_names(s)}" for s in report.statements]
    lines += [f"derived lead: {lead.name}" for lead in record.leads if lead.derived]
    return [" ".join(line.split()) for line in lines]


SPEC = ReaderSpec(name="WFDB", extensions=(".hea",), sniff=sniff, read=read)
