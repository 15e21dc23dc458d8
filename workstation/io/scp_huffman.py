"""SCP-ECG sample decoding: section 2 Huffman tables, Huffman streams and difference data.

Written from the standard's description (EN 1064 / ISO 11073-91064, section 2 and the data
parts of sections 5 and 6):

* Section 2 starts with the number of tables; 19999 means "the default table", which the
  file does not spell out. Otherwise every table lists 9-byte code structures: prefix bits,
  total bits, table mode switch (1 = a value, 0 = switch to the table named by the base
  value), base value (int16) and base code (uint32, stored bit-reversed: its least
  significant bit is the first bit sent).
* A code longer than its prefix carries the value itself in the extra bits, as a two's
  complement number sent most significant bit first (the default table's 8- and 16-bit
  escapes).
* Each lead is a separate byte-aligned stream, decoded from table 1 and read most
  significant bit first.
* Difference data: first differences (x[n] = d[n] + x[n-1]) or second differences
  (x[n] = d[n] + 2x[n-1] - x[n-2]); the first one or two values are stored as they are.

Every loop here is bounded by the bits actually present, never by a count read from the
file, so a damaged file cannot make the reader hang.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

#: Number of tables meaning "the standard's default Huffman table is used".
DEFAULT_TABLE_MARKER = 19999
#: Longest prefix accepted; the lookup table has 2**width entries.
MAX_PREFIX_BITS = 16
MAX_VALUE_BITS = 32


@dataclass(frozen=True)
class HuffmanCode:
    """One code structure of a section 2 table, with the prefix in transmission order."""

    prefix_bits: int
    total_bits: int
    switch: bool  # table mode switch 0: go to table number ``value`` (1-based)
    value: int
    code: int  # prefix bits as sent (first bit = most significant)


def _default_table() -> tuple[HuffmanCode, ...]:
    """The default table: 0 -> "0", +-1 -> "10x", +-2 -> "110x" ... +-8, and two escapes."""
    codes = [HuffmanCode(1, 1, False, 0, 0b0)]
    for magnitude in range(1, 9):
        ones = (1 << magnitude) - 1  # `magnitude` one-bits, then a 0, then the sign bit
        for sign_bit, value in ((0, magnitude), (1, -magnitude)):
            bits = magnitude + 2
            codes.append(HuffmanCode(bits, bits, False, value, (ones << 2) | sign_bit))
    # "1111111110" + 8-bit value, "1111111111" + 16-bit value
    codes.append(HuffmanCode(10, 18, False, 0, 0b1111111110))
    codes.append(HuffmanCode(10, 26, False, 0, 0b1111111111))
    return tuple(codes)


DEFAULT_TABLE: tuple[HuffmanCode, ...] = _default_table()


def _reverse_bits(value: int, width: int) -> int:
    return int(format(value, f"0{width}b")[::-1], 2) if width else 0


def parse_huffman_tables(body: bytes) -> list[tuple[HuffmanCode, ...]]:
    """The tables of a section 2 body (the bytes after its 16-byte header).

    Raises
    ------
    ValueError
        When the declared table or code counts do not fit the section, or a code is
        malformed.
    """
    if len(body) < 2:
        raise ValueError("section 2 (Huffman tables) is too short to hold the table count")
    (n_tables,) = struct.unpack_from("<H", body, 0)
    if n_tables == DEFAULT_TABLE_MARKER:
        return [DEFAULT_TABLE]
    if n_tables == 0:
        raise ValueError("section 2 declares no Huffman table")
    tables, pos = [], 2
    for number in range(1, n_tables + 1):
        if pos + 2 > len(body):
            raise ValueError(f"section 2 ends before Huffman table {number} of {n_tables}")
        (n_codes,) = struct.unpack_from("<H", body, pos)
        pos += 2
        if n_codes == 0 or pos + 9 * n_codes > len(body):
            raise ValueError(f"Huffman table {number} declares {n_codes} codes; "
                             f"section 2 has room for {(len(body) - pos) // 9}")
        codes = [_code_structure(body, pos + 9 * i, number) for i in range(n_codes)]
        tables.append(tuple(codes))
        pos += 9 * n_codes
    return tables


def _code_structure(body: bytes, pos: int, table: int) -> HuffmanCode:
    prefix, total, mode, value, base_code = struct.unpack_from("<BBBhI", body, pos)
    if not 1 <= prefix <= MAX_PREFIX_BITS or total < prefix or total - prefix > MAX_VALUE_BITS:
        raise ValueError(f"Huffman table {table}: unsupported code of {prefix} prefix bits "
                         f"and {total} bits in all")
    if mode not in (0, 1):
        raise ValueError(f"Huffman table {table}: table mode switch {mode} is neither 0 nor 1")
    return HuffmanCode(prefix, total, mode == 0, value, _reverse_bits(base_code, prefix))


class _Lookup:
    """A table indexed by the next ``width`` bits: (prefix bits, value bits, switch, value)."""

    def __init__(self, codes: tuple[HuffmanCode, ...], number: int) -> None:
        self.width = max(code.prefix_bits for code in codes)
        self.entries: list[tuple[int, int, bool, int] | None] = [None] * (1 << self.width)
        for code in codes:
            shift = self.width - code.prefix_bits
            first = code.code << shift
            entry = (code.prefix_bits, code.total_bits - code.prefix_bits, code.switch, code.value)
            for key in range(first, first + (1 << shift)):
                if self.entries[key] is not None:
                    # a code that is the prefix of another would make the stream ambiguous
                    raise ValueError(f"Huffman table {number} is not prefix-free")
                self.entries[key] = entry


def build_lookups(tables: list[tuple[HuffmanCode, ...]]) -> list[_Lookup]:
    """Decoding tables for :func:`decode_huffman` (validates that every table is prefix-free)."""
    return [_Lookup(codes, i + 1) for i, codes in enumerate(tables)]


def _bit_string(data: bytes) -> str:
    """The bits of ``data`` as a '0'/'1' string, most significant bit of each byte first."""
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8)) + ord("0")
    return bits.tobytes().decode("ascii")


def decode_huffman(data: bytes, count: int, lookups: list[_Lookup]) -> np.ndarray:
    """Decode up to ``count`` values from one lead's stream.

    Returns fewer than ``count`` values when the stream runs out (the caller decides whether
    that is acceptable). Raises ValueError on a bit pattern no table knows or a switch to a
    table that does not exist.
    """
    n_bits = 8 * len(data)
    bits = _bit_string(data) + "0" * (MAX_PREFIX_BITS + MAX_VALUE_BITS)  # room to peek
    out: list[int] = []
    lookup, pos = lookups[0], 0
    # every code consumes at least one bit, so this loop ends within n_bits iterations
    while len(out) < count and pos < n_bits:
        entry = lookup.entries[int(bits[pos:pos + lookup.width], 2)]
        if entry is None:
            raise ValueError(f"bit pattern at bit {pos} is not a code of the Huffman table")
        prefix, extra, switch, value = entry
        end = pos + prefix + extra
        if end > n_bits:
            break  # the last code is cut off: the stream ended
        if extra:
            raw = int(bits[pos + prefix:end], 2)
            value = raw - (1 << extra) if raw >> (extra - 1) else raw
        pos = end
        if switch:
            if not 1 <= value <= len(lookups):
                raise ValueError(f"Huffman code switches to table {value}; "
                                 f"section 2 defines {len(lookups)}")
            lookup = lookups[value - 1]
            continue
        out.append(value)
    return np.asarray(out, dtype=np.float64)


def decode_uncompressed(data: bytes, count: int) -> np.ndarray:
    """Up to ``count`` little-endian int16 samples (the encoding when section 2 is absent)."""
    usable = min(count, len(data) // 2)
    return np.frombuffer(data[:2 * usable], dtype="<i2").astype(np.float64)


def undifference(values: np.ndarray, order: int) -> np.ndarray:
    """Rebuild samples from first (order 1) or second (order 2) differences.

    Works in float64 so that a damaged stream gives huge values (which the plausibility
    check refuses) instead of silently wrapping integers.
    """
    if order == 0 or values.size == 0:
        return values
    if order == 1:
        return np.cumsum(values)
    if order == 2:
        # x[0]=d[0], x[1]=d[1]; x[n]-x[n-1] = (x[n-1]-x[n-2]) + d[n]: two running sums
        steps = values.copy()
        if steps.size > 1:
            steps[1] = values[1] - 2 * values[0]
        return np.cumsum(np.cumsum(steps))
    raise ValueError(f"difference encoding {order} is not defined (0, 1 or 2)")
