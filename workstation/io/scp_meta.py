"""SCP-ECG context: section 1 header tags, section 7 global measurements, sections 8/11 statements.

These sections describe the recording; none of them can change the signal, so a value that
makes no sense (an impossible date, an "undefined" marker such as 29999) is left out rather
than failing the read. Every loop is bounded by the section's length.
"""

from __future__ import annotations

import datetime as dt
import struct

from workstation.core.record import (Acquisition, DeviceMeasurement, DeviceReport, Fiducial,
                                     FilterSettings, Patient)

#: SCP's "not computed" marker for section 7 values (v2.0); 29998 means "rejected".
UNDEFINED = 29998
_AGE_UNITS_PER_YEAR = {1: 1.0, 2: 12.0, 3: 52.1775, 4: 365.25, 5: 8766.0}
_MACHINE_STRINGS = ("program", "serial", "system software", "scp software", "trade name")
_FIDUCIAL_KINDS = ("P onset", "P offset", "QRS onset", "QRS offset", "T offset")


# -- section 1 --------------------------------------------------------------------------
def parse_tags(body: bytes) -> tuple[dict[int, list[bytes]], list[str]]:
    """Tag -> values (a tag may repeat) of section 1, and warnings; stops at tag 255."""
    tags: dict[int, list[bytes]] = {}
    pos = 0
    while pos + 3 <= len(body):  # each tag takes at least 3 bytes, so this ends
        tag, length = struct.unpack_from("<BH", body, pos)
        if tag == 255:
            break
        if pos + 3 + length > len(body):
            return tags, [f"section 1 tag {tag} overruns the section; it and later tags ignored"]
        tags.setdefault(tag, []).append(body[pos + 3:pos + 3 + length])
        pos += 3 + length
    return tags, []


def text(raw: bytes | None) -> str | None:
    """A NUL-terminated string (UTF-8, else Latin-1), stripped; None when empty."""
    if not raw:
        return None
    raw = raw.split(b"\0", 1)[0]
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError:
        value = raw.decode("latin-1")
    value = "".join(ch for ch in value if ch.isprintable()).strip()
    return value or None


def _first(tags: dict[int, list[bytes]], tag: int) -> bytes | None:
    values = tags.get(tag)
    return values[0] if values else None


def _date(raw: bytes | None, big_endian: bool) -> dt.date | None:
    if not raw or len(raw) < 4:
        return None
    year, month, day = struct.unpack_from(">HBB" if big_endian else "<HBB", raw, 0)
    try:
        return dt.date(year, month, day) if year >= 1850 else None
    except ValueError:
        return None


def patient(tags: dict[int, list[bytes]], *, big_endian_dates: bool = False) -> Patient:
    """Patient fields from tags 0-5 and 8 (names, id, age, birth date, sex)."""
    last, first = text(_first(tags, 0)), text(_first(tags, 1))
    birth = _date(_first(tags, 5), big_endian_dates)
    sex_raw = _first(tags, 8)
    sex = {1: "M", 2: "F"}.get(sex_raw[0]) if sex_raw else None
    return Patient(
        patient_id=text(_first(tags, 2)),
        name=", ".join(p for p in (last, first) if p) or None,
        birth_date=birth.isoformat() if birth else None,
        sex=sex,
        age_years=_age(_first(tags, 4)),
    )


def _age(raw: bytes | None) -> float | None:
    if not raw or len(raw) < 3:
        return None
    value, unit = struct.unpack_from("<HB", raw, 0)
    per_year = _AGE_UNITS_PER_YEAR.get(unit)
    if not per_year or value == 0 or value / per_year > 150:
        return None  # unit unspecified, or not an age
    return round(value / per_year, 3)


def machine(raw: bytes | None) -> dict[str, str]:
    """The acquiring/analysing device tags (14/15): model and the trailing strings."""
    if not raw or len(raw) < 36:
        return {}
    fields = {"model": text(raw[8:14])}
    program_length = raw[35]
    strings = [raw[36:36 + program_length]] + raw[36 + program_length:].split(b"\0")
    fields.update(zip(_MACHINE_STRINGS, (text(s) for s in strings)))
    return {k: v for k, v in fields.items() if v and v.lower() != "unknown"}


def acquisition(tags: dict[int, list[bytes]], *, big_endian_dates: bool = False) -> Acquisition:
    """Acquisition time (tags 25/26), device (14), site (16) and filters (27-29)."""
    device = machine(_first(tags, 14))
    name = " ".join(device[k] for k in ("trade name", "model") if k in device)
    return Acquisition(time=_acquired(tags, big_endian_dates), device=name or None,
                       site=text(_first(tags, 16)), filters=_filters(tags))


def _acquired(tags: dict[int, list[bytes]], big_endian: bool) -> dt.datetime | None:
    day = _date(_first(tags, 25), big_endian)
    clock = _first(tags, 26)
    if day is None:
        return None
    hour, minute, second = (clock[0], clock[1], clock[2]) if clock and len(clock) >= 3 else (0, 0, 0)
    try:
        return dt.datetime.combine(day, dt.time(hour, minute, second))
    except ValueError:
        return dt.datetime.combine(day, dt.time())


def _filters(tags: dict[int, list[bytes]]) -> FilterSettings:
    """Tag 27: high-pass in 0.01 Hz; tag 28: low-pass in Hz; tag 29 bits 0/1: 60/50 Hz notch."""
    highpass, lowpass, bitmap = _first(tags, 27), _first(tags, 28), _first(tags, 29)
    hp = struct.unpack_from("<H", highpass)[0] / 100 if highpass and len(highpass) >= 2 else 0
    lp = struct.unpack_from("<H", lowpass)[0] if lowpass and len(lowpass) >= 2 else 0
    notch = None
    if bitmap:
        notch = 60.0 if bitmap[0] & 1 else 50.0 if bitmap[0] & 2 else None
    return FilterSettings(highpass_hz=hp or None, lowpass_hz=float(lp) or None, notch_hz=notch)


def comments(tags: dict[int, list[bytes]]) -> tuple[str, ...]:
    """Free text: referral indication (13), free text (30), medical history text (35)."""
    found = [text(raw) for tag in (13, 30, 35) for raw in tags.get(tag, [])]
    return tuple(c for c in found if c)


def program(tags: dict[int, list[bytes]]) -> str | None:
    """The analysing program: tag 15 (analysing device), else tag 14."""
    device = machine(_first(tags, 15)) or machine(_first(tags, 14))
    name = " ".join(device[k] for k in ("trade name", "program") if k in device)
    return name or None


# -- section 7 --------------------------------------------------------------------------
def measurements(body: bytes, fs_median: float) -> tuple[list[DeviceMeasurement], list[Fiducial], list[str]]:
    """Global measurements of reference beat type 0, RR/PP, rates and QTc; median fiducials.

    Section 7 times are milliseconds from the start of the reference beat.
    """
    if len(body) < 6:
        return [], [], ["section 7 too short; measurements not read"]
    n_blocks, n_spikes, rr, pp = struct.unpack_from("<BBHH", body, 0)
    found = [_ms("RR", rr), _ms("PP", pp)]
    if n_blocks == 0 or 6 + 16 * n_blocks > len(body):
        return [m for m in found if m], [], [f"section 7 declares {n_blocks} measurement blocks "
                                             "that do not fit; only RR/PP read"]
    points = struct.unpack_from("<5H", body, 6)
    axes = struct.unpack_from("<3h", body, 16)
    found += _intervals(points) + [_axis(name, value) for name, value
                                   in zip(("P axis", "QRS axis", "T axis"), axes)]
    found += _rates(body, 6 + 16 * n_blocks + 10 * n_spikes)
    fiducials = [Fiducial(kind, int(round(ms * fs_median / 1000)), on_median=True)
                 for kind, ms in zip(_FIDUCIAL_KINDS, points) if ms < UNDEFINED]
    return [m for m in found if m], fiducials, []


def _ms(name: str, value: int, unit: str = "ms") -> DeviceMeasurement | None:
    return DeviceMeasurement(name, float(value), unit) if 0 < value < UNDEFINED else None


def _axis(name: str, value: int) -> DeviceMeasurement | None:
    return DeviceMeasurement(name, float(value), "deg") if -360 < value < 360 else None


def _intervals(points: tuple[int, ...]) -> list[DeviceMeasurement | None]:
    p_on, p_off, qrs_on, qrs_off, t_off = (v if v < UNDEFINED else None for v in points)

    def span(name: str, start: int | None, end: int | None) -> DeviceMeasurement | None:
        return _ms(name, end - start) if start is not None and end is not None else None

    return [span("P duration", p_on, p_off), span("PR", p_on, qrs_on),
            span("QRS", qrs_on, qrs_off), span("QT", qrs_on, t_off)]


def _rates(body: bytes, pos: int) -> list[DeviceMeasurement | None]:
    """Ventricular/atrial rate and QTc after the pacemaker and QRS-type blocks, when present."""
    if pos + 2 > len(body):
        return []
    pos += 2 + struct.unpack_from("<H", body, pos)[0]  # QRS type list: count + one byte each
    if pos + 6 > len(body):
        return []
    vent, atrial, qtc = struct.unpack_from("<3H", body, pos)
    return [_ms("Ventricular rate", vent, "bpm"), _ms("Atrial rate", atrial, "bpm"), _ms("QTc", qtc)]


# -- sections 8 and 11 -------------------------------------------------------------------
def statements(body: bytes, *, coded: bool) -> list[str]:
    """Interpretive statements. Section 11 (``coded``) starts each text with a type byte."""
    if len(body) < 9:
        return []
    count, pos, found = body[8], 9, []
    for _ in range(count):
        if pos + 3 > len(body):
            break
        length = struct.unpack_from("<H", body, pos + 1)[0]
        raw = body[pos + 3:pos + 3 + length]
        pos += 3 + length
        if coded and raw[:1] in (b"\x01", b"\x02", b"\x03"):
            raw = raw[1:]
        parts = [text(part) for part in raw.replace(b"\x1e", b"\0").split(b"\0")]
        found += [p for p in parts if p]
    return found


def device_report(tags: dict[int, list[bytes]], measured: list[DeviceMeasurement],
                  fiducials: list[Fiducial], said: list[str]) -> DeviceReport:
    return DeviceReport(program=program(tags) if (measured or said) else None,
                        measurements=tuple(measured), statements=tuple(said),
                        fiducials=tuple(fiducials))
