"""SCP-ECG (EN 1064 / ISO 11073-91064) reader, written from the standard's description.

Supported: the section 0 pointer table with file and section CRCs (see
:mod:`scp_sections`); section 1 header tags (patient, acquisition time, device, filters,
free text -> comments); section 2 Huffman tables (default and custom, with table
switching); section 3 lead definitions (SCP lead codes -> standard names, other codes keep
a descriptive name); section 4 QRS locations and reference-beat subtraction; section 5
reference beats (-> :class:`MedianBeats`); section 6 rhythm data (raw, first or second
differences); section 7 global measurements and median-beat fiducials; statements from
sections 8 and 11. Bimodal compression is refused with a message. The non-compliant
Healforce variant is recognised by its own checksum and read by :mod:`scp_healforce`.

Samples are the stored integers x the section's amplitude value multiplier (nV), returned
as float32 mV. Leads with different sample ranges (section 3 start/end) share one time axis
starting at the earliest start sample; samples outside a lead's own range are **NaN** (no
data), never zero, so that a missing stretch cannot pass for a flat signal.

Never a silently wrong signal: every lead must decode to the sample count section 3
declares. The one tolerated shortfall is uncompressed data in which every lead stops at the
same sample (a writer that capped the 16-bit byte count, as the Contec converter does); the
record is then shortened to the stored samples and the detail says so.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workstation.core.record import (DeviceReport, ECGRecord, Fiducial, Lead, MedianBeats,
                                     SourceInfo)
from workstation.io import scp_healforce, scp_meta
from workstation.io.registry import ReaderSpec
from workstation.io.scp_huffman import DEFAULT_TABLE_MARKER, undifference
from workstation.io.scp_sections import (FILE_HEADER, POINTER_SIZE, SECTION_HEADER, Container,
                                         LeadDef, Streams, decode_streams, huffman_lookups,
                                         lead_names, parse_container, parse_leads)

FORMAT_NAME = "SCP-ECG"
_DIFFERENCES = {0: "original samples", 1: "first differences", 2: "second differences"}
#: Count asked of a self-sizing (uncompressed) reference beat when section 4 is absent.
_ALL = 1 << 31


@dataclass(frozen=True)
class QrsLocations:
    """Section 4: reference beat length and fiducial, and each QRS's subtraction zone."""

    reference_ms: int
    reference_fiducial: int  # 1-based sample in the reference beat, 0 = not given
    beats: tuple[tuple[int, int, int, int], ...]  # (beat type, start, fiducial, end), 1-based


# -- sniffing -----------------------------------------------------------------------------
def sniff(path: Path, head: bytes) -> bool:
    """Section 0's header at byte 6, then either its "SCPECG" mark or a self-pointer.

    Version 2+ writers put "SCPECG" in section 0's reserved bytes: with section id 0 that is
    eight fixed bytes, enough on their own (so a damaged file still gets an SCP message).
    Older or non-compliant files need the first pointer of section 0 to describe section 0
    (id 0, its own length, index 7, or 6 for the 0-based Healforce variant) and, in
    addition, a record size equal to the file size or the ``.scp`` extension.
    """
    if len(head) < FILE_HEADER + SECTION_HEADER + POINTER_SIZE:
        return False
    sid, length = struct.unpack_from("<HI", head, FILE_HEADER + 2)
    if sid != 0:
        return False
    if head[FILE_HEADER + 10:FILE_HEADER + 16] == b"SCPECG":
        return True
    if length < SECTION_HEADER + POINTER_SIZE or (length - SECTION_HEADER) % POINTER_SIZE:
        return False
    pid, plen, pindex = struct.unpack_from("<HII", head, FILE_HEADER + SECTION_HEADER)
    if pid != 0 or plen != length or pindex not in (FILE_HEADER, FILE_HEADER + 1):
        return False
    (size,) = struct.unpack_from("<I", head, 2)
    return size == _file_size(path) or path.suffix.lower() == ".scp"


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


# -- reading ------------------------------------------------------------------------------
def read(path: Path) -> ECGRecord:
    data = Path(path).read_bytes()
    if scp_healforce.is_healforce(data):
        return _read_healforce(path, data)
    if scp_healforce.has_zero_based_pointers(data):
        raise ValueError("non-compliant SCP-ECG with 0-based section pointers (Healforce layout) "
                         "whose file checksum does not match: the file is damaged or an unknown variant")
    container = parse_container(data)
    for sid, what in ((3, "lead definitions"), (6, "rhythm data")):
        if sid not in container.sections:
            raise ValueError(f"no section {sid} ({what}); only rhythm data can be shown")
    leads, flags = parse_leads(container.sections[3])
    lookups = huffman_lookups(container)
    qrs = _qrs_locations(container)
    subtraction = bool(flags & 1)
    if subtraction and qrs is None:
        raise ValueError("reference beat subtraction is used but section 4 (QRS locations) is absent")
    reference = _reference_beats(container, leads, lookups, qrs, required=subtraction)
    rhythm = decode_streams(container.sections[6], [lead.count for lead in leads], lookups)
    leads = _check_counts(rhythm, leads, container.warnings)
    values = [undifference(v, rhythm.difference) * rhythm.avm_nv for v in rhythm.values]
    if subtraction:
        _add_reference_beats(values, leads, reference, qrs, rhythm)
    signals, first = _align(values, leads)
    return _record(path, container, signals, first, leads, rhythm, reference, qrs)


def _record(path: Path, container: Container, signals: np.ndarray, first: int,
            leads: list[LeadDef], rhythm: Streams, reference: Streams | None,
            qrs: QrsLocations | None) -> ECGRecord:
    names = lead_names(leads)
    fs = 1e6 / rhythm.interval_us
    medians = _median_beats(reference, names)
    tags = _tags(container)
    report = _device_report(container, tags, medians.fs if medians else fs, qrs,
                            (first, first + signals.shape[1]))
    return ECGRecord.from_array(
        signals, fs, names,
        SourceInfo(path, FORMAT_NAME, _detail(container, rhythm, first)),
        patient=scp_meta.patient(tags),
        acquisition=scp_meta.acquisition(tags),
        device_report=report,
        median_beats=medians,
        comments=scp_meta.comments(tags),
    )


def _read_healforce(path: Path, data: bytes) -> ECGRecord:
    decoded = scp_healforce.decode(data)
    section1 = decoded.sections.get(1, b"")
    tags, _ = scp_meta.parse_tags(section1[SECTION_HEADER:])
    names = [Lead(name, f"Healforce channel {i + 1}") for i, name in enumerate(decoded.lead_names)]
    return ECGRecord.from_array(
        decoded.signals, decoded.fs, names, SourceInfo(path, FORMAT_NAME, decoded.detail),
        patient=scp_meta.patient(tags, big_endian_dates=True),
        acquisition=scp_meta.acquisition(tags, big_endian_dates=True),
    )


# -- sections 4 and 5 ---------------------------------------------------------------------
def _qrs_locations(container: Container) -> QrsLocations | None:
    section = container.sections.get(4)
    if section is None:
        return None
    body = section.body
    if len(body) < 6:
        raise ValueError("section 4 is too short for its header")
    length_ms, fiducial, n_qrs = struct.unpack_from("<HHH", body, 0)
    if 6 + 14 * n_qrs > len(body):
        raise ValueError(f"section 4 declares {n_qrs} QRS complexes but has room for "
                         f"{(len(body) - 6) // 14}")
    beats = tuple(struct.unpack_from("<HIII", body, 6 + 14 * i) for i in range(n_qrs))
    return QrsLocations(length_ms, fiducial, beats)


def _reference_beats(container: Container, leads: list[LeadDef], lookups: list | None,
                     qrs: QrsLocations | None, *, required: bool) -> Streams | None:
    """Section 5 decoded to nV; None (with a warning) when it cannot be sized or decoded."""
    section = container.sections.get(5)
    if section is None:
        return _without_medians(container, "there is no section 5", required, warn=False)
    if qrs is None and lookups:
        return _without_medians(container, "section 5 is Huffman-coded but section 4 (which "
                                "gives its length) is absent", required)
    interval = struct.unpack_from("<H", section.body, 2)[0] if len(section.body) >= 4 else 0
    count = _ALL if qrs is None else round(qrs.reference_ms * 1000 / max(interval, 1))
    if count == 0:
        return _without_medians(container, "section 4 gives a reference beat of 0 ms", required)
    streams = decode_streams(section, [count] * len(leads), lookups)
    sizes = {v.size for v in streams.values}
    # without section 4 (uncompressed data only) the beats size themselves but must agree
    if sizes != {count} and not (count == _ALL and len(sizes) == 1 and 0 not in sizes):
        return _without_medians(container, f"section 5 does not decode to {count} samples "
                                "in every lead", required)
    values = [undifference(v, streams.difference) * streams.avm_nv for v in streams.values]
    return Streams(values, streams.avm_nv, streams.interval_us, streams.difference, streams.encoding)


def _without_medians(container: Container, problem: str, required: bool, *, warn: bool = True) -> None:
    if required:
        raise ValueError(f"reference beat subtraction is used but {problem}")
    if warn:
        container.warnings.append(problem + "; median beats left out")
    return None


def _median_beats(reference: Streams | None, names: list[Lead]) -> MedianBeats | None:
    if reference is None:
        return None
    signals = (np.vstack(reference.values) * 1e-6).astype(np.float32)
    return MedianBeats(signals, 1e6 / reference.interval_us, tuple(lead.name for lead in names))


# -- section 6 assembly -------------------------------------------------------------------
def _check_counts(rhythm: Streams, leads: list[LeadDef], warnings: list[str]) -> list[LeadDef]:
    """Leads with their end sample matched to the decoded data (see the module docstring)."""
    got = [v.size for v in rhythm.values]
    short = [(i, n) for i, (lead, n) in enumerate(zip(leads, got)) if n < lead.count]
    if not short:
        return leads
    capped = rhythm.encoding != "Huffman" and len(set(got)) == 1 and len({l.count for l in leads}) == 1
    if not capped or got[0] == 0:
        i, n = short[0]
        raise ValueError(f"lead {i + 1}: section 3 declares {leads[i].count} samples but section 6 "
                         f"holds only {n}")
    # 65534/65535 bytes: the most a 16-bit lead length can state (the Contec converter's cap)
    why = ", the limit of the 16-bit length field" if 2 * got[0] >= 0xFFFE else ""
    warnings.append(f"section 3 declares {leads[0].count} samples per lead but section 6 stores "
                    f"{got[0]} ({2 * got[0]} bytes per lead{why}); the record holds the "
                    f"{got[0]} stored samples")
    return [LeadDef(lead.code, lead.start, lead.start + got[0] - 1) for lead in leads]


def _add_reference_beats(values: list[np.ndarray], leads: list[LeadDef], reference: Streams,
                         qrs: QrsLocations, rhythm: Streams) -> None:
    """Undo reference beat subtraction: add beat type 0 back over each QRS's zone (in nV)."""
    if reference.interval_us != rhythm.interval_us:
        raise ValueError("reference beat subtraction with reference beats at another sampling rate "
                         "(bimodal layout) is not supported")
    for beat_type, start, fiducial, end in qrs.beats:
        if beat_type != 0:
            continue  # only reference beat type 0 is stored and subtracted
        if not start <= fiducial <= end:
            raise ValueError(f"section 4 subtraction zone {start}..{end} does not contain its "
                             f"fiducial {fiducial}")
        # rhythm sample s (1-based) lines up with reference sample s - offset (1-based)
        offset = fiducial - qrs.reference_fiducial
        for lead, signal, ref in zip(leads, values, reference.values):
            lo = max(start, offset + 1, lead.start)
            hi = min(end, offset + ref.size, lead.start + signal.size - 1)
            if lo <= hi:
                signal[lo - lead.start:hi - lead.start + 1] += ref[lo - offset - 1:hi - offset]


def _align(values: list[np.ndarray], leads: list[LeadDef]) -> tuple[np.ndarray, int]:
    """(leads x samples) float32 mV on a common axis, NaN outside each lead's range."""
    first = min(lead.start for lead in leads)
    span = max(lead.end for lead in leads) - first + 1
    if span > sum(lead.count for lead in leads):
        raise ValueError(f"the leads' sample ranges span {span} samples but hold only "
                         f"{sum(lead.count for lead in leads)} in all")
    out = np.full((len(leads), span), np.nan, dtype=np.float32)
    for row, (lead, signal) in enumerate(zip(leads, values)):
        out[row, lead.start - first:lead.end - first + 1] = signal * 1e-6
    return out, first


# -- context ------------------------------------------------------------------------------
def _tags(container: Container) -> dict[int, list[bytes]]:
    section = container.sections.get(1)
    if section is None:
        return {}
    tags, warnings = scp_meta.parse_tags(section.body)
    container.warnings += warnings
    return tags


def _device_report(container: Container, tags: dict[int, list[bytes]], fs_median: float,
                   qrs: QrsLocations | None, span: tuple[int, int]) -> DeviceReport:
    """Section 7 measurements, section 4 fiducials (on the record's axis) and statements."""
    measured, fiducials = [], []
    if 7 in container.sections:
        measured, fiducials, warnings = scp_meta.measurements(container.sections[7].body, fs_median)
        container.warnings += warnings
    if qrs is not None:
        if qrs.reference_fiducial:
            fiducials.append(Fiducial("fiducial", qrs.reference_fiducial - 1, on_median=True))
        first, stop = span  # 1-based sample numbers of the record's first and past-last sample
        fiducials += [Fiducial("fiducial", fc - first, beat=i)
                      for i, (_, _, fc, _) in enumerate(qrs.beats) if first <= fc < stop]
    said = []
    for sid, coded in ((8, False), (11, True)):
        if sid in container.sections:
            said += scp_meta.statements(container.sections[sid].body, coded=coded)
    return scp_meta.device_report(tags, measured, fiducials, said)


def _detail(container: Container, rhythm: Streams, first: int) -> str:
    protocol = container.protocol
    parts = [f"SCP-ECG {protocol // 10}.{protocol % 10}" if protocol else "SCP-ECG",
             rhythm.encoding + _table_kind(container), _DIFFERENCES[rhythm.difference]]
    if first > 1:
        parts.append(f"time axis starts at sample {first}")
    return "; ".join(parts + container.warnings)


def _table_kind(container: Container) -> str:
    section = container.sections.get(2)
    if section is None or len(section.body) < 2:
        return ""
    marker = struct.unpack_from("<H", section.body, 0)[0]
    return " (default table)" if marker == DEFAULT_TABLE_MARKER else " (custom tables)"


SPEC = ReaderSpec(name=FORMAT_NAME, extensions=(".scp",), sniff=sniff, read=read)
