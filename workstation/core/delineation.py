"""Waves and their boundaries: what a delineator (a model or a human) found on each lead.

A :class:`Delineation` is an immutable proposal: per lead and per beat, the onset, peak and
offset of every P wave, QRS complex and T wave in integer samples of the record's grid, each
boundary with a confidence, plus where it came from (model name and version, or the annotator).
Corrections are layered on it elsewhere; nothing here changes a delineation in place.

Storage: a JSON document (:func:`write_json`, :func:`read_json`) that keeps everything, and WFDB
annotation files in the LUDB convention (:func:`write_wfdb_annotations`): one file per lead,
extension = the lead's name in lower case, symbols ``(`` onset, ``p``/``N``/``t`` peak, ``)``
offset (Kalyakulina et al., IEEE Access 2020;8:186181). WFDB files carry no confidences.

No Qt, no torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

JSON_FORMAT = "ecgws-delineation"
JSON_VERSION = 1
ONSET_SYMBOL = "("
OFFSET_SYMBOL = ")"


class WaveKind(Enum):
    """The three waves a delineator marks."""

    P = "P"
    QRS = "QRS"
    T = "T"

    @property
    def peak_symbol(self) -> str:
        """WFDB/LUDB symbol of the wave's peak: ``p``, ``N`` or ``t``."""
        return _PEAK_SYMBOLS[self]

    @classmethod
    def from_peak_symbol(cls, symbol: str) -> "WaveKind | None":
        """The kind whose peak is written ``symbol``; None for any other symbol."""
        return _KIND_OF_SYMBOL.get(symbol)


_PEAK_SYMBOLS = {WaveKind.P: "p", WaveKind.QRS: "N", WaveKind.T: "t"}
_KIND_OF_SYMBOL = {symbol: kind for kind, symbol in _PEAK_SYMBOLS.items()}


def wave_id(kind: WaveKind, lead: str, onset: int) -> str:
    """Stable id of a wave: no two waves of one kind on one lead share an onset."""
    return f"{lead}/{kind.value}/{onset}"


@dataclass(frozen=True)
class Wave:
    """One wave on one lead: boundaries in samples of the record's grid, a confidence each.

    Confidences are in 0..1 (1 for a human reference). ``id`` is stable: it is derived from
    the wave as first proposed and kept when a boundary is later moved.
    """

    kind: WaveKind
    lead: str
    onset: int
    peak: int
    offset: int
    onset_conf: float = 1.0
    peak_conf: float = 1.0
    offset_conf: float = 1.0
    id: str = ""

    def __post_init__(self) -> None:
        if not self.onset <= self.peak <= self.offset:
            raise ValueError(f"{self.kind.value} wave on {self.lead}: onset {self.onset}, "
                             f"peak {self.peak}, offset {self.offset} are not in order")
        for name in ("onset_conf", "peak_conf", "offset_conf"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} {getattr(self, name)} is outside 0..1")
        if not self.id:
            object.__setattr__(self, "id", wave_id(self.kind, self.lead, self.onset))

    @property
    def duration(self) -> int:
        """Samples from onset to offset."""
        return self.offset - self.onset

    def overlap(self, onset: int, offset: int) -> int:
        """Samples this wave shares with the span ``onset..offset`` (0 when disjoint)."""
        return max(0, min(self.offset, offset) - max(self.onset, onset))


@dataclass(frozen=True)
class WaveGroup:
    """The same wave of one beat seen on several leads.

    ``onset`` is the earliest onset and ``offset`` the latest offset across the leads: the
    global boundaries that intervals (PR, QRS duration, QT) are measured between.
    """

    kind: WaveKind
    waves: tuple[Wave, ...]

    @property
    def onset(self) -> int:
        return min(w.onset for w in self.waves)

    @property
    def offset(self) -> int:
        return max(w.offset for w in self.waves)

    @property
    def leads(self) -> tuple[str, ...]:
        return tuple(w.lead for w in self.waves)


@dataclass(frozen=True)
class Delineation:
    """Every wave found on a record, with its provenance.

    Parameters
    ----------
    fs
        Sampling rate of the record the samples refer to (Hz).
    lead_names
        The record's leads, in its order (leads without waves included).
    waves
        All waves, sorted by lead order, then onset.
    model_name, model_version
        Where the waves came from: a model, or an annotator for reference annotations.
    """

    fs: float
    lead_names: tuple[str, ...]
    waves: tuple[Wave, ...]
    model_name: str
    model_version: str
    _by_lead: dict[str, tuple[Wave, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        order = {name: i for i, name in enumerate(self.lead_names)}
        unknown = {w.lead for w in self.waves} - order.keys()
        if unknown:
            raise ValueError(f"waves on leads not in the record: {', '.join(sorted(unknown))}")
        # by lead, onset, offset; the sort is stable, so any remaining tie keeps the given
        # order (keys without enum attributes: a 24 h Holter has half a million waves)
        waves = tuple(sorted(self.waves, key=lambda w: (order[w.lead], w.onset, w.offset)))
        by_lead: dict[str, list[Wave]] = {name: [] for name in self.lead_names}
        for wave in waves:
            by_lead[wave.lead].append(wave)
        object.__setattr__(self, "waves", waves)
        object.__setattr__(self, "_by_lead", {k: tuple(v) for k, v in by_lead.items()})

    def waves_in(self, lead: str, kind: WaveKind | None = None) -> tuple[Wave, ...]:
        """The waves on ``lead`` (of ``kind`` when given), by onset."""
        waves = self._by_lead[lead]
        return waves if kind is None else tuple(w for w in waves if w.kind is kind)

    def of_kind(self, kind: WaveKind) -> tuple[Wave, ...]:
        return tuple(w for w in self.waves if w.kind is kind)

    def wave(self, wave_id_: str) -> Wave:
        """The wave with id ``wave_id_``; KeyError when there is none."""
        for wave in self.waves:
            if wave.id == wave_id_:
                return wave
        raise KeyError(wave_id_)

    def groups(self, kind: WaveKind, *, min_leads: int = 1) -> tuple[WaveGroup, ...]:
        """Waves of ``kind`` clustered across leads, one group per beat (see :func:`group_waves`)."""
        return group_waves(self.of_kind(kind), min_leads=min_leads)


def group_waves(waves: Iterable[Wave], *, min_overlap: float = 0.3,
                min_leads: int = 1) -> tuple[WaveGroup, ...]:
    """Cluster waves of one kind across leads by overlap in time, one group per beat
    (:func:`cluster_by_overlap`). Groups seen on fewer than ``min_leads`` leads are dropped."""
    waves = sorted(waves, key=lambda w: (w.onset, w.offset))
    kinds = {w.kind for w in waves}
    if len(kinds) > 1:
        raise ValueError("group_waves needs waves of one kind")
    index = cluster_by_overlap([w.onset for w in waves], [w.offset for w in waves],
                               [w.lead for w in waves], min_overlap)
    groups: list[list[Wave]] = [[] for _ in range(max(index, default=-1) + 1)]
    for wave, g in zip(waves, index):
        groups[g].append(wave)
    return tuple(WaveGroup(g[0].kind, tuple(g)) for g in groups if len(g) >= min_leads)


def cluster_by_overlap(onsets: Sequence[int], offsets: Sequence[int], leads: Sequence[object],
                       min_overlap: float = 0.3) -> list[int]:
    """The group (numbered from 0 in order of creation) of each wave of one kind, the waves
    given sorted by (onset, offset).

    A wave joins the group it overlaps most, by at least ``min_overlap`` of the shorter of
    the wave and the group's span, provided the group has no wave on that lead yet;
    otherwise it starts a group. Requiring overlap (rather than proximity) keeps the P and
    T waves of neighbouring beats apart at any heart rate. Plain integers in, so that
    thousands of sets can be grouped straight from the store's columns.
    """
    if min_overlap <= 0:
        raise ValueError("min_overlap must be positive: waves that do not overlap never group")
    span_on: list[int] = []
    span_off: list[int] = []
    members: list[set] = []
    out = []
    for on_w, off_w, lead in zip(onsets, offsets, leads):
        duration = off_w - on_w
        best, best_share = -1, min_overlap
        # sorted by onset: only the last few groups can still overlap this wave, and a group
        # ending before it starts (most of them: earlier beats) shares nothing with it
        for g in range(len(span_on) - 1, max(-1, len(span_on) - 8), -1):
            off = span_off[g]
            if off <= on_w:
                continue
            on = span_on[g]
            share = (min(off_w, off) - max(on_w, on)) / max(1, min(duration, off - on))
            if share >= best_share and lead not in members[g]:
                best, best_share = g, share
        if best < 0:
            best = len(span_on)
            span_on.append(on_w)
            span_off.append(off_w)
            members.append({lead})
        else:
            span_on[best] = min(span_on[best], on_w)
            span_off[best] = max(span_off[best], off_w)
            members[best].add(lead)
        out.append(best)
    return out


# -- JSON -------------------------------------------------------------------------------------

def to_json_dict(delineation: Delineation) -> dict:
    """A plain dict (JSON-ready) holding everything in ``delineation``."""
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "fs": delineation.fs,
        "lead_names": list(delineation.lead_names),
        "model_name": delineation.model_name,
        "model_version": delineation.model_version,
        "waves": [
            {"id": w.id, "kind": w.kind.value, "lead": w.lead, "onset": w.onset, "peak": w.peak,
             "offset": w.offset, "onset_conf": round(w.onset_conf, 4),
             "peak_conf": round(w.peak_conf, 4), "offset_conf": round(w.offset_conf, 4)}
            for w in delineation.waves
        ],
    }


def from_json_dict(data: dict) -> Delineation:
    """The delineation stored by :func:`to_json_dict`; ValueError naming what is wrong."""
    if data.get("format") != JSON_FORMAT:
        raise ValueError(f"not an {JSON_FORMAT} document")
    if data.get("version") != JSON_VERSION:
        raise ValueError(f"unsupported {JSON_FORMAT} version {data.get('version')!r}")
    try:
        waves = tuple(
            Wave(WaveKind(w["kind"]), str(w["lead"]), int(w["onset"]), int(w["peak"]),
                 int(w["offset"]), float(w["onset_conf"]), float(w["peak_conf"]),
                 float(w["offset_conf"]), str(w["id"]))
            for w in data["waves"]
        )
        return Delineation(float(data["fs"]), tuple(data["lead_names"]), waves,
                           str(data["model_name"]), str(data["model_version"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed delineation: missing or wrong field {exc}") from exc


def write_json(delineation: Delineation, path: Path) -> Path:
    path.write_text(json.dumps(to_json_dict(delineation), indent=1), encoding="utf-8")
    return path


def read_json(path: Path) -> Delineation:
    return from_json_dict(json.loads(path.read_text(encoding="utf-8")))


# -- WFDB annotation files (LUDB convention) ---------------------------------------------------

def annotation_extension(lead: str) -> str:
    """File extension for ``lead``: its name in lower case, letters and digits only (``v1``, ``mlii``)."""
    return "".join(c for c in lead.lower() if c.isascii() and c.isalnum()) or "lead"


def write_annotation_file(out_dir: Path, stem: str, extension: str, samples: Sequence[int],
                          symbols: Sequence[str], fs: float,
                          aux_notes: Sequence[str] | None = None) -> Path:
    """Write one WFDB annotation file ``out_dir/stem.extension`` and return its path.

    ``wfdb.wrann`` accepts letters only in an extension, while LUDB's are ``v1``..``v6``:
    the file is written under a letters-only name, then renamed.
    """
    import wfdb  # imported here: only the writers and readers need it

    tmp_ext = "tmp" + "".join(chr(97 + int(c)) if c.isdigit() else c for c in extension if c.isalnum())
    wfdb.wrann(stem, tmp_ext, np.asarray(samples, dtype=np.int64), list(symbols),
               aux_note=None if aux_notes is None else list(aux_notes), fs=fs,
               write_dir=str(out_dir))
    target = out_dir / f"{stem}.{extension}"
    (out_dir / f"{stem}.{tmp_ext}").replace(target)
    return target


def write_wfdb_annotations(delineation: Delineation, out_dir: Path, stem: str) -> list[Path]:
    """Write one annotation file per lead with waves, ``stem.<lead in lower case>``; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for lead in delineation.lead_names:
        marks = sorted(
            (sample, order, symbol)
            for w in delineation.waves_in(lead)
            for sample, order, symbol in ((w.onset, 0, ONSET_SYMBOL), (w.peak, 1, w.kind.peak_symbol),
                                          (w.offset, 2, OFFSET_SYMBOL))
        )
        if not marks:
            continue
        written.append(write_annotation_file(out_dir, stem, annotation_extension(lead),
                                             [m[0] for m in marks], [m[2] for m in marks],
                                             delineation.fs))
    return written


def waves_from_marks(lead: str, samples: Sequence[int], symbols: Sequence[str]) -> list[Wave]:
    """Complete waves in a lead's ``( peak )`` marks, each parsed by its own peak.

    A peak's onset is the ``(`` just before it and its offset the ``)`` just after it. A peak
    missing either is skipped (LUDB has a few: a first QRS without onset, a ``()`` pair
    without peak), so a malformed neighbour never borrows another wave's boundary.
    """
    order = np.argsort(np.asarray(samples), kind="stable")
    s = [int(samples[i]) for i in order]
    y = [symbols[i] for i in order]
    waves = []
    for i in range(1, len(y) - 1):
        kind = WaveKind.from_peak_symbol(y[i])
        if kind is not None and y[i - 1] == ONSET_SYMBOL and y[i + 1] == OFFSET_SYMBOL:
            waves.append(Wave(kind, lead, s[i - 1], s[i], s[i + 1]))
    return waves


def read_wfdb_annotations(record_path: Path, lead_names: Sequence[str], fs: float, *,
                          source: str = "reference", version: str = "") -> Delineation:
    """Read ``record.<lead>`` files (LUDB convention) back into a :class:`Delineation`.

    ``record_path`` is the record without extension. Leads without a file have no waves.
    Confidences are 1 (WFDB files carry none).
    """
    import wfdb

    waves: list[Wave] = []
    for lead in lead_names:
        ext = annotation_extension(lead)
        if not record_path.with_name(f"{record_path.name}.{ext}").exists():
            continue
        ann = wfdb.rdann(str(record_path), ext)
        waves += waves_from_marks(lead, ann.sample, ann.symbol)
    return Delineation(float(fs), tuple(lead_names), tuple(waves), source, version)
