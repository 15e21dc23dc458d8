"""SCP-ECG record structure: CRCs, the section 0 pointer table, section 3 leads, sample streams.

CRC policy (CRC-CCITT, polynomial 0x1021, initial value 0xFFFF): a wrong file CRC is accepted
with a warning only when every signal section's own CRC is right; a section that fails its
CRC while the file CRC fails too is damaged: a signal section (0, 2-6) makes the read fail,
any other section is left out with a warning. When the file CRC is right, a wrong section
CRC can only be the writer's mistake and is reported as such. Structural inconsistencies
(pointers outside the record, headers that disagree with their pointer, overlapping
sections, counts that do not fit their section) raise ValueError.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass, field

import numpy as np

from workstation.core.leads import normalise_lead_name
from workstation.core.record import Lead
from workstation.io.scp_huffman import (build_lookups, decode_huffman, decode_uncompressed,
                                        parse_huffman_tables)

FILE_HEADER = 6  # CRC (2) + record size (4)
SECTION_HEADER = 16
POINTER_SIZE = 10
SIGNAL_SECTIONS = frozenset({0, 2, 3, 4, 5, 6})
#: SCP lead codes (section 3). Codes 31-60 and 79-85 are the calibrated ("-cal")
#: counterparts of 1-30 and 66-72.
_BASE_LEADS = {
    1: "I", 2: "II", 3: "V1", 4: "V2", 5: "V3", 6: "V4", 7: "V5", 8: "V6", 9: "V7",
    10: "V2R", 11: "V3R", 12: "V4R", 13: "V5R", 14: "V6R", 15: "V7R", 16: "X", 17: "Y",
    18: "Z", 19: "CC5", 20: "CM5", 21: "Left arm", 22: "Right arm", 23: "Left leg",
    24: "Frank I", 25: "Frank E", 26: "Frank C", 27: "Frank A", 28: "Frank M",
    29: "Frank F", 30: "Frank H", 61: "III", 62: "aVR", 63: "aVL", 64: "aVF", 65: "-aVR",
    66: "V8", 67: "V9", 68: "V8R", 69: "V9R", 70: "Nehb D", 71: "Nehb A", 72: "Nehb J",
    73: "Defibrillator anterior-lateral", 74: "External pacing anterior-posterior",
    75: "A1", 76: "A2", 77: "A3", 78: "A4",
}
LEAD_CODES: dict[int, str] = {
    0: "unspecified", **_BASE_LEADS,
    **{code + 30: _BASE_LEADS[code] + "-cal" for code in range(1, 31)},
    **{code + 13: _BASE_LEADS[code] + "-cal" for code in range(66, 73)},
}


@dataclass(frozen=True)
class Section:
    """One section: its id, where it starts, its body (after the header) and CRC state."""

    sid: int
    offset: int
    body: bytes
    protocol: int
    crc_ok: bool


@dataclass
class Container:
    """The checked section table of a standard file, and the warnings gathered so far."""

    sections: dict[int, Section]
    protocol: int
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LeadDef:
    code: int
    start: int  # 1-based sample numbers, inclusive
    end: int

    @property
    def count(self) -> int:
        return self.end - self.start + 1


# -- container: CRCs, pointers, section headers ---------------------------------------------
def crc_ccitt(data: bytes) -> int:
    """CRC-CCITT as SCP-ECG uses it (polynomial 0x1021, initial value 0xFFFF)."""
    return binascii.crc_hqx(data, 0xFFFF)


def parse_container(data: bytes) -> Container:
    """Check the record header, the pointer table and every section header and CRC."""
    if len(data) < FILE_HEADER + SECTION_HEADER + POINTER_SIZE:
        raise ValueError(f"file of {len(data)} bytes is too short for an SCP-ECG record")
    stored_crc, size = struct.unpack_from("<HI", data, 0)
    warnings = []
    if size > len(data):
        raise ValueError(f"file is truncated: the record declares {size} bytes, the file has {len(data)}")
    if size < FILE_HEADER + SECTION_HEADER + POINTER_SIZE:
        raise ValueError(f"record size field ({size} bytes) is too small")
    if size < len(data):
        warnings.append(f"{len(data) - size} bytes after the record's declared end ignored")
    record = data[:size]
    section0 = _section_at(record, 0, FILE_HEADER)
    pointers = _pointers(section0, size)
    sections = {0: section0}
    for sid, length, index in pointers:
        if sid != 0:
            sections[sid] = _section_at(record, sid, index - 1, length)
    _check_no_overlap(sections)
    file_ok = crc_ccitt(record[2:]) == stored_crc
    warnings += _apply_crc_policy(sections, file_ok)
    return Container(sections, section0.protocol, warnings)


def _section_at(record: bytes, sid: int, offset: int, length: int | None = None) -> Section:
    if offset < FILE_HEADER or offset + SECTION_HEADER > len(record):
        raise ValueError(f"section {sid} starts at byte {offset}, outside the record")
    crc, hid, hlen, _version, protocol = struct.unpack_from("<HHIBB", record, offset)
    if hid != sid:
        raise ValueError(f"section {sid}: the header at byte {offset} belongs to section {hid}")
    if length is not None and hlen != length:
        raise ValueError(f"section {sid}: header length {hlen} differs from pointer length {length}")
    if hlen < SECTION_HEADER or offset + hlen > len(record):
        raise ValueError(f"section {sid} of {hlen} bytes at byte {offset} does not fit the record")
    ok = crc_ccitt(record[offset + 2:offset + hlen]) == crc
    return Section(sid, offset, record[offset + SECTION_HEADER:offset + hlen], protocol, ok)


def _pointers(section0: Section, size: int) -> list[tuple[int, int, int]]:
    """(id, length, 1-based index) of every present section; section 0 must point at itself."""
    body = section0.body
    if len(body) % POINTER_SIZE:
        raise ValueError(f"section 0 body of {len(body)} bytes is not a whole number of pointers")
    entries = [struct.unpack_from("<HII", body, pos) for pos in range(0, len(body), POINTER_SIZE)]
    if not entries or entries[0] != (0, len(body) + SECTION_HEADER, FILE_HEADER + 1):
        raise ValueError("section 0's first pointer does not describe section 0")
    present = [e for e in entries if e[1] > 0]
    ids = [e[0] for e in present]
    if len(ids) != len(set(ids)):
        raise ValueError("section 0 lists a section twice")
    for sid, length, index in present:
        if index < FILE_HEADER + 1 or index - 1 + length > size:
            raise ValueError(f"section {sid} pointer (byte {index}, {length} bytes) lies outside the record")
    return present


def _check_no_overlap(sections: dict[int, Section]) -> None:
    spans = sorted((s.offset, s.offset + SECTION_HEADER + len(s.body), s.sid) for s in sections.values())
    for (_, end, sid), (start, _, nxt) in zip(spans, spans[1:]):
        if start < end:
            raise ValueError(f"sections {sid} and {nxt} overlap")


def _apply_crc_policy(sections: dict[int, Section], file_ok: bool) -> list[str]:
    """Decide what a CRC mismatch means (see the module docstring); drops damaged extras."""
    bad = sorted(sid for sid, s in sections.items() if not s.crc_ok)
    if file_ok:
        return [f"section CRC wrong in section(s) {_ids(bad)} although the file CRC is right "
                "(writer error); content used"] if bad else []
    damaged = [sid for sid in bad if sid in SIGNAL_SECTIONS]
    if damaged:
        raise ValueError(f"CRC mismatch in section(s) {_ids(damaged)} and in the file CRC: "
                         "the signal data are damaged")
    for sid in bad:
        del sections[sid]
    warnings = ["file CRC mismatch; every signal section's own CRC is right, so the record was read"]
    if bad:
        warnings.append(f"section(s) {_ids(bad)} failed their CRC and were left out")
    return warnings


def _ids(sids: list[int]) -> str:
    return ", ".join(str(s) for s in sids)


# -- leads (section 3) and sample streams (sections 2, 5, 6) -------------------------------
def parse_leads(section3: Section) -> tuple[list[LeadDef], int]:
    """Lead definitions and the flags byte (bit 0: reference beat subtraction used)."""
    body = section3.body
    if len(body) < 2 or body[0] == 0:
        raise ValueError("section 3 declares no lead")
    n, flags = body[0], body[1]
    if 2 + 9 * n > len(body):
        raise ValueError(f"section 3 declares {n} leads but has room for {(len(body) - 2) // 9}")
    leads = []
    for i in range(n):
        start, end, code = struct.unpack_from("<IIB", body, 2 + 9 * i)
        if start < 1 or end < start:
            raise ValueError(f"section 3 lead {i + 1}: sample range {start}..{end} is invalid")
        leads.append(LeadDef(code, start, end))
    return leads, flags


def lead_names(leads: list[LeadDef]) -> list[Lead]:
    """Standard names for the SCP lead codes; repeated names get a " (2)" suffix."""
    out, seen = [], {}
    for lead in leads:
        name = normalise_lead_name(LEAD_CODES.get(lead.code, f"SCP lead code {lead.code}"))
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        out.append(Lead(name, f"SCP lead code {lead.code}"))
    return out


@dataclass(frozen=True)
class Streams:
    """Decoded samples of section 5 or 6, before scaling: one float64 array per lead."""

    values: list[np.ndarray]
    avm_nv: int
    interval_us: int
    difference: int
    encoding: str


def decode_streams(section: Section, counts: list[int], lookups: list | None) -> Streams:
    """Decode the per-lead streams of section 5 or 6 (``counts`` samples wanted per lead)."""
    body, n = section.body, len(counts)
    if len(body) < 6 + 2 * n:
        raise ValueError(f"section {section.sid} is too short for its header and {n} lead lengths")
    avm, interval, difference, bimodal = struct.unpack_from("<HHBB", body, 0)
    if avm == 0 or interval == 0:
        raise ValueError(f"section {section.sid}: amplitude multiplier {avm} nV or sample "
                         f"interval {interval} us is zero")
    if difference not in (0, 1, 2):
        raise ValueError(f"section {section.sid}: difference encoding {difference} is not 0, 1 or 2")
    if section.sid == 6 and bimodal == 1:
        raise ValueError("bimodal compression (rhythm data decimated outside the QRS) is not supported")
    lengths = struct.unpack_from(f"<{n}H", body, 6)
    pos = 6 + 2 * n
    if pos + sum(lengths) > len(body):
        raise ValueError(f"section {section.sid}: lead data of {sum(lengths)} bytes exceed the "
                         f"section's {len(body) - pos}")
    values = []
    for count, length in zip(counts, lengths):
        chunk = body[pos:pos + length]
        pos += length
        raw = (decode_huffman(chunk, count, lookups) if lookups
               else decode_uncompressed(chunk, count))
        values.append(raw)
    encoding = "Huffman" if lookups else "uncompressed 16-bit"
    return Streams(values, avm, interval, difference, encoding)


def huffman_lookups(container: Container) -> list | None:
    """Decoding tables from section 2, or None when samples are stored as plain int16."""
    section = container.sections.get(2)
    return build_lookups(parse_huffman_tables(section.body)) if section else None
