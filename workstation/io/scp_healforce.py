"""Healforce (Prince 180D) ".SCP" files: a narrow, self-checking tolerant path.

These handheld recorders write files that look like SCP-ECG but break the standard in ways
that make a standard reader fail or, worse, produce a wrong signal. The layout below was
worked out from the two sample files and agrees with the notes published with the
MIT-licensed ``KaibinBao/healforcescpecg`` decoder (no code was taken from it):

* bytes 0-1 hold a CRC-CCITT with initial value 0 (XMODEM), stored big-endian, over bytes
  2 .. size; bytes 2-5 hold the file size as two 16-bit words, high word first;
* section pointers are 0-based byte offsets (the standard's are 1-based);
* section 1 dates store the year big-endian;
* section 3 declares N leads but holds a single (start, end) entry;
* section 6's "sample time interval" field holds the sampling rate in Hz (150), and its
  one data stream holds the N leads interleaved, with no Huffman coding: every 3
  little-endian 16-bit words carry 4 samples of 12 bits. Each word has a sample in bits
  0-9 and beat markers in bits 14-15; bits 10-13 of the three words, taken in order, form
  the fourth sample. A 10-bit sample is offset binary (value - 512), in units of the
  section's amplitude multiplier.

Nothing is accepted on trust: the file CRC must match, the sample count must equal the
leads x samples of section 3, the three channels must obey Einthoven's law (II = I + III,
which is also how they are named), and the device's own beat markers must give a heart
rate of 24-240 bpm at the stated rate. A file failing any check is refused.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass

import numpy as np

FILE_HEADER = 6
SECTION_HEADER = 16
SAMPLE_OFFSET = 512  # 10-bit offset binary
#: Einthoven residual |I + III - II| allowed, as a fraction of lead II's RMS.
EINTHOVEN_TOLERANCE = 0.3
MIN_RR_S, MAX_RR_S = 0.25, 2.5


@dataclass(frozen=True)
class HealforceSignal:
    """What the Healforce path decoded: mV signals and how they were checked."""

    signals: np.ndarray  # float32 mV, (3, samples)
    fs: float
    lead_names: tuple[str, ...]
    sections: dict[int, bytes]  # section id -> whole section (header included)
    detail: str


def is_healforce(data: bytes) -> bool:
    """True for the Healforce variant: its swapped size field and XMODEM file CRC match."""
    if len(data) < FILE_HEADER + SECTION_HEADER + 10 or data[2:4] != b"\0\0":
        return False
    (size,) = struct.unpack_from("<H", data, 4)
    if not FILE_HEADER + SECTION_HEADER <= size <= len(data):
        return False
    (stored,) = struct.unpack_from(">H", data, 0)
    pointer0 = struct.unpack_from("<HII", data, FILE_HEADER + SECTION_HEADER)
    return pointer0[0] == 0 and pointer0[2] == FILE_HEADER and binascii.crc_hqx(data[2:size], 0) == stored


def has_zero_based_pointers(data: bytes) -> bool:
    """Section 0's pointer to itself gives byte 6 (0-based) instead of the standard's 7."""
    if len(data) < FILE_HEADER + SECTION_HEADER + 10:
        return False
    sid, length, index = struct.unpack_from("<HII", data, FILE_HEADER + SECTION_HEADER)
    return sid == 0 and index == FILE_HEADER and length == struct.unpack_from("<I", data, FILE_HEADER + 4)[0]


def decode(data: bytes) -> HealforceSignal:
    """Decode a file accepted by :func:`is_healforce`; ValueError when a check fails."""
    (size,) = struct.unpack_from("<H", data, 4)
    sections = _sections(data[:size])
    for needed in (3, 6):
        if needed not in sections:
            raise ValueError(f"Healforce SCP without section {needed}")
    n_leads, n_samples = _lead_layout(sections[3])
    raw, avm_nv, rate_hz = _stream(sections[6])
    values, beats = _unpack_samples(raw)
    if values.size != n_leads * n_samples:
        raise ValueError(f"Healforce SCP: {values.size} samples for {n_leads} leads x "
                         f"{n_samples} samples declared in section 3")
    if n_leads != 3:
        raise ValueError(f"Healforce SCP with {n_leads} channels: only the 3-channel "
                         "(I, II, III) layout is known")
    signals = values.reshape(n_samples, n_leads).T * (avm_nv * 1e-6)
    residual = _check_einthoven(signals)
    heart_rate = _check_rate(beats.reshape(n_samples, n_leads).any(axis=1), rate_hz)
    detail = (f"Healforce variant (non-compliant SCP-ECG, read by a dedicated path): "
              f"{n_leads} interleaved 10-bit channels at {rate_hz} Hz, {avm_nv} nV/unit; "
              f"lead names inferred from Einthoven's law (residual {residual:.0%} of II), "
              f"device beat markers give {heart_rate:.0f} bpm; "
              "section 9 (manufacturer-specific) not read")
    return HealforceSignal(signals.astype(np.float32), float(rate_hz), ("I", "II", "III"),
                           sections, detail)


def _sections(data: bytes) -> dict[int, bytes]:
    """Sections by id, from the 0-based pointer table of section 0."""
    (length0,) = struct.unpack_from("<I", data, FILE_HEADER + 4)
    if length0 < SECTION_HEADER or (length0 - SECTION_HEADER) % 10 or FILE_HEADER + length0 > len(data):
        raise ValueError(f"Healforce SCP: section 0 length {length0} is inconsistent")
    sections: dict[int, bytes] = {}
    for pos in range(FILE_HEADER + SECTION_HEADER, FILE_HEADER + length0, 10):
        sid, length, offset = struct.unpack_from("<HII", data, pos)
        if length == 0:
            continue
        if length < SECTION_HEADER or offset + length > len(data):
            raise ValueError(f"Healforce SCP: section {sid} lies outside the file")
        if struct.unpack_from("<H", data, offset + 2)[0] != sid:
            raise ValueError(f"Healforce SCP: no section {sid} header at byte {offset}")
        sections[sid] = data[offset:offset + length]
    return sections


def _lead_layout(section3: bytes) -> tuple[int, int]:
    body = section3[SECTION_HEADER:]
    if len(body) < 10:
        raise ValueError("Healforce SCP: section 3 is too short")
    start, end = struct.unpack_from("<II", body, 2)
    if body[0] == 0 or end < start:
        raise ValueError(f"Healforce SCP: section 3 declares {body[0]} leads, samples {start}..{end}")
    return body[0], end - start + 1


def _stream(section6: bytes) -> tuple[bytes, int, int]:
    """The one data stream, the amplitude multiplier (nV) and the rate (Hz) of section 6."""
    body = section6[SECTION_HEADER:]
    if len(body) < 8:
        raise ValueError("Healforce SCP: section 6 is too short")
    avm, rate, difference, bimodal, length = struct.unpack_from("<HHBBH", body, 0)
    if avm == 0 or rate == 0 or difference or bimodal:
        raise ValueError(f"Healforce SCP: unexpected section 6 header (multiplier {avm}, "
                         f"rate {rate}, difference {difference}, bimodal {bimodal})")
    if length % 6 or 8 + length > len(body):
        raise ValueError(f"Healforce SCP: data stream of {length} bytes does not fit "
                         "section 6 or is not whole 3-word groups")
    return body[8:8 + length], avm, rate


def _unpack_samples(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Samples (offset removed) and beat-marker flags from the 3-words-per-4-samples packing."""
    words = np.frombuffer(raw, dtype="<u2").astype(np.int64).reshape(-1, 3)
    packed = np.empty((words.shape[0], 4), dtype=np.int64)
    packed[:, :3] = words
    nibbles = (words >> 10) & 0xF
    packed[:, 3] = (nibbles[:, 0] << 8) | (nibbles[:, 1] << 4) | nibbles[:, 2]
    values = (packed & 0x3FF) - SAMPLE_OFFSET
    beats = np.concatenate([(words >> 15) & 1, (packed[:, 3:] >> 11) & 1], axis=1)
    return values.reshape(-1).astype(np.float64), beats.reshape(-1).astype(bool)


def _check_einthoven(signals: np.ndarray) -> float:
    """Relative residual of I + III - II; refuses channels that are not I, II, III."""
    rms_ii = float(np.sqrt(np.mean(signals[1] ** 2)))
    residual = float(np.sqrt(np.mean((signals[0] + signals[2] - signals[1]) ** 2)))
    if rms_ii == 0 or residual > EINTHOVEN_TOLERANCE * rms_ii:
        raise ValueError("Healforce SCP: the three channels do not obey Einthoven's law "
                         "(II = I + III), so their lead identity is unknown")
    return residual / rms_ii


def _check_rate(beats: np.ndarray, rate_hz: int) -> float:
    """Heart rate from the device's beat markers; refuses an implausible sampling rate."""
    onsets = np.flatnonzero(beats[1:] & ~beats[:-1]) + 1
    if onsets.size < 3:
        raise ValueError("Healforce SCP: too few device beat markers to confirm the sampling rate")
    rr_s = float(np.median(np.diff(onsets))) / rate_hz
    if not MIN_RR_S <= rr_s <= MAX_RR_S:
        raise ValueError(f"Healforce SCP: at {rate_hz} Hz the device's beats are {rr_s:.2f} s "
                         "apart, so the sampling rate field cannot be trusted")
    return 60.0 / rr_s
