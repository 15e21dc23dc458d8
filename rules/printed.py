"""Rate and rhythm of a record read off a paper ECG, measured as what it is.

A printed page shows most leads for part of the record only: a 3x4 page shows each lead for
2.5 s, in four columns that follow each other in time, with one or more full-length rhythm
strips below. Beats are therefore found on each *stretch* of signal - the leads printed over the
same span of time, found together - and an RR interval joins two beats of one stretch only:
never two beats on either side of a column's edge, whose timing is only as good as the page's.

* When the page has rhythm strips (leads shown over most of the record), rate and rhythm come
  from them alone: one line of 10 s is the best evidence a page gives, and the strips are found
  together (they are printed on one time axis).
* Otherwise each column's leads are found together, and the RR intervals of all the columns
  that another column confirms give the rate (:func:`_confirmed`); the irregularity compares
  successive intervals of one column only, and needs :data:`MIN_SUCCESSIVE` differences. A
  column's 2.5 s hold two or three beats, so each must also be a QRS the delineation found
  there.
* The strips are checked against the columns: when no column shows an RR interval within the
  strips' range, or the strips are irregular and the columns' intervals centre elsewhere, one
  of the two is misread and no rate is given.

Beats are found by the plain QRS detector of :mod:`rules.fallback` (band-pass 5-15 Hz, squared
slope summed over the stretch's leads, 100 ms integration; Pan and Tompkins 1985), with their
T-wave rule (a peak soon after a beat with a much smaller slope is its T wave) and a search
back at half the threshold in a gap longer than :data:`SEARCH_BACK_RR` times the median RR. A
delineation model placing a QRS lead by lead may split one complex in two on a traced line; a
detector that sees only energy and keeps a 250 ms refractory period cannot, and beat times are
all the rate and rhythm need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

from rules.fallback import BAND_HZ, INTEGRATION_MS, PEAK_SHARE, REFRACTORY_MS
from rules.intervals import Intervals, Rhythm, _p_share
from rules.beats import Beat
from rules.consistency import AmplitudeCheck
from rules.types import Measured

#: A lead printed over at least this share of the record is a rhythm strip.
STRIP_SHARE = 0.6
#: A gap longer than this many median RR intervals is searched again at half the threshold
#: (Pan and Tompkins 1985: 1.66).
SEARCH_BACK_RR = 1.66
#: Two peaks closer than this (ms), one under T_WAVE_SHARE of the other's height: the smaller
#: is a T wave (Pan and Tompkins 1985: 360 ms, and half the slope; here half the integrated
#: energy's square root, a quarter of the energy).
T_WAVE_MS = 360.0
T_WAVE_SHARE = 0.25
#: Leads whose spans overlap by at least this share of the shorter one are one column.
SAME_COLUMN = 0.5
#: A peak this close (ms) to either end of a stretch is taken for the line's start or end (a
#: calibration pulse's edge, a separating bar, the lead's printed name traced with the line,
#: the filter's edge), not a beat: at 300 bpm a beat is lost, never an interval made up.
EDGE_MS = 200.0
#: The strips' beats are taken when they leave no gap over this (s) - longer than any pause a
#: rate is reported through (sinus arrest is a pause of 2 s or more; 3 s is the usual alarm) -
#: and, when any column has RR intervals, one of them lies within the strips' range widened by
#: :data:`AGREE`; otherwise no rate is given (one of the two is misread). Strips that fail the
#: first test leave the rate to the columns.
STRIP_GAP_S = 3.0
AGREE = 0.15
#: A column's beat must lie within this (ms) of a QRS the delineation found on one of its
#: leads: the energy detector and the model, each fooled by different things (a steep ST
#: segment, a step in a traced line; a complex split in two), agree on the beats.
QRS_MATCH_MS = 60.0
#: A strip interval outside this range of the strip's median RR makes its rate one the columns
#: must confirm (a premature beat comes at 0.7 of the cycle or earlier, a pause or a dropped
#: beat at 1.5 or later; a beat missed or counted twice gives 2 and 0.5)
ODD_RR = (0.7, 1.5)
#: The RR irregularity of a page needs at least this many differences of successive RR
#: intervals: a 3x4 page without a strip pairs beats within a 2.5 s column only, and one or two
#: differences are not a rhythm (a beat placed 40 ms off by the page reads as irregular).
MIN_SUCCESSIVE = 3
#: A column's RR interval is confirmed by another column's within this share of it.
CONFIRM = 0.15
#: A page without strips gives a rate from at least this many confirmed RR intervals (a 3x4
#: page at 60 bpm shows six or more; two mean most of its beats were not found alike).
MIN_COLUMN_RR = 3


def stretches(spans: Mapping[str, tuple[int, int]], n_samples: int,
              fs: float) -> tuple[list[tuple[tuple[str, ...], int, int]],
                                  list[tuple[tuple[str, ...], int, int]]]:
    """(strips, columns): each a list of (leads, start, stop). The strips, found together over
    their common span; the columns, leads printed over the same span."""
    strips = [lead for lead, (a, b) in spans.items() if b - a >= STRIP_SHARE * n_samples]
    found = []
    if strips:
        start = max(spans[lead][0] for lead in strips)
        stop = min(spans[lead][1] for lead in strips)
        if stop > start:
            found.append((tuple(strips), start, stop))
    columns: list[tuple[list[str], int, int]] = []
    for lead, (a, b) in sorted(spans.items(), key=lambda item: item[1]):
        if lead in strips or b <= a:
            continue
        for k, (leads, start, stop) in enumerate(columns):
            if min(b, stop) - max(a, start) >= SAME_COLUMN * min(b - a, stop - start):
                columns[k] = (leads + [lead], max(a, start), min(b, stop))
                break
        else:
            columns.append(([lead], a, b))
    return found, [(tuple(leads), start, stop) for leads, start, stop in columns]


def find_beats(signals: np.ndarray, fs: float) -> np.ndarray:
    """Sample of each QRS on ``signals`` (leads x samples, one stretch, no NaN), increasing."""
    n = signals.shape[1]
    if n < max(27, int(0.5 * fs)) or fs < 4 * BAND_HZ[1]:
        return np.empty(0, dtype=np.int64)
    sos = sps.butter(2, BAND_HZ, btype="bandpass", fs=fs, output="sos")
    energy = np.zeros(n)
    for x in signals:
        filtered = sps.sosfiltfilt(sos, x)
        energy += np.diff(filtered, prepend=filtered[0]) ** 2
    width = max(1, int(INTEGRATION_MS * fs / 1000.0))
    integrated = np.convolve(energy, np.ones(width) / width, mode="same")
    height = PEAK_SHARE * float(np.percentile(integrated, 99))
    if height <= 0:
        return np.empty(0, dtype=np.int64)
    distance = max(1, int(REFRACTORY_MS * fs / 1000.0))
    peaks, _ = sps.find_peaks(integrated, height=height, distance=distance)
    peaks = _without_t_waves(integrated, peaks, int(T_WAVE_MS * fs / 1000.0))
    if len(peaks) >= 3:
        peaks = _without_t_waves(integrated, _search_back(integrated, peaks, height / 2.0, distance),
                                 int(T_WAVE_MS * fs / 1000.0))
    return peaks.astype(np.int64)


def _without_t_waves(integrated: np.ndarray, peaks: np.ndarray, window: int) -> np.ndarray:
    """``peaks`` without the T waves: of two peaks within ``window`` samples, one under
    :data:`T_WAVE_SHARE` of the other's height is the T wave after (or, at a stretch's start,
    the T wave before) the other's QRS (Pan and Tompkins 1985 compare the slopes so)."""
    kept: list[int] = []
    for peak in peaks:
        if kept and peak - kept[-1] < window:
            if integrated[peak] < T_WAVE_SHARE * integrated[kept[-1]]:
                continue
            if integrated[kept[-1]] < T_WAVE_SHARE * integrated[peak]:
                kept[-1] = int(peak)
                continue
        kept.append(int(peak))
    return np.array(kept, dtype=peaks.dtype)


def _search_back(integrated: np.ndarray, peaks: np.ndarray, height: float,
                 distance: int) -> np.ndarray:
    """``peaks`` with the highest peak above ``height`` added in each gap longer than
    :data:`SEARCH_BACK_RR` median RR intervals (a beat missed at the full threshold)."""
    median = float(np.median(np.diff(peaks)))
    added = []
    for a, b in zip(peaks[:-1], peaks[1:]):
        if b - a <= SEARCH_BACK_RR * median:
            continue
        lo, hi = a + distance, b - distance
        if hi <= lo:
            continue
        inner, _ = sps.find_peaks(integrated[lo:hi], height=height)
        if len(inner):
            added.append(lo + inner[np.argmax(integrated[lo:hi][inner])])
    return np.sort(np.concatenate([peaks, np.array(added, dtype=peaks.dtype)])) if added else peaks


def printed_rhythm(signals: np.ndarray, lead_names: tuple[str, ...], fs: float,
                   spans: Mapping[str, tuple[int, int]], beats: tuple[Beat, ...] | None,
                   p_window_start: int,
                   qrs: Mapping[str, Sequence[tuple[int, int]]] | None = None) -> Rhythm:
    """Rate and rhythm of a printed page (see the module docstring). ``spans``: the samples
    each usable lead shows; ``beats``: the delineation's, for the P share only; ``qrs``: the
    delineation's QRS complexes (onset, offset) per lead, which a column's beats must match."""
    strips, columns = stretches(spans, signals.shape[1], fs)
    strip_beats = _stretch_beats(signals, lead_names, fs, strips)
    column_beats = _stretch_beats(signals, lead_names, fs, columns, qrs)
    strip_rr, strip_leads = _stretch_rr(strip_beats, strips, fs)
    column_rr, column_leads = _stretch_rr(column_beats, columns, fs)
    column_rr = _confirmed(column_rr)
    strip_ok = bool(strip_rr) and len(strip_rr[0]) >= 2 and strip_rr[0].max() <= STRIP_GAP_S * 1000.0
    shown = [r[np.isfinite(r)] for r in column_rr if np.isfinite(r).any()]
    disagree = _unconfirmed(strip_rr[0], column_rr) if strip_ok else ""
    if strip_ok and shown and not disagree:
        low, high = (1.0 - AGREE) * strip_rr[0].min(), (1.0 + AGREE) * strip_rr[0].max()
        if not any(((low <= r) & (r <= high)).any() for r in shown):
            a = float(np.mean(strip_rr[0]))
            disagree = (f"the rhythm strip ({60000 / a:.0f} bpm) and the printed columns "
                        f"({', '.join(f'{60000 / float(np.median(r)):.0f}' for r in shown)} bpm) "
                        "disagree")
    if strip_ok and not disagree:
        rr, used = strip_rr, strip_leads
        where = f"the rhythm strip{'s' if len(strip_leads) > 1 else ''} ({', '.join(strip_leads)})"
    else:
        rr, used = column_rr, column_leads
        where = (f"{len(column_rr)} printed column{'s' if len(column_rr) != 1 else ''}, "
                 "beats paired within a column only")
    p_share = _p_share(beats, p_window_start, tuple(used))
    all_rr = np.concatenate(rr) if rr else np.empty(0)
    all_rr = all_rr[np.isfinite(all_rr)]
    thin = rr is column_rr and 0 < len(all_rr) < MIN_COLUMN_RR
    if disagree or len(all_rr) == 0 or thin:
        missing = Measured.missing("bpm", disagree or (
            f"only {len(all_rr)} RR interval(s) confirmed on {where} ({MIN_COLUMN_RR} needed)"
            if thin else f"fewer than 2 beats on any stretch of {where}"))
        return Rhythm(missing, missing, missing, Measured.missing("ms", missing.note),
                      Measured.missing("", missing.note), p_share)
    successive = np.concatenate([np.diff(r) for r in rr])
    successive = successive[np.isfinite(successive)]
    leads = tuple(used)
    note = f"{len(all_rr)} RR intervals on {where}"

    def made(value: float, unit: str, how: str) -> Measured:
        return Measured(float(value), unit, leads, (), f"{how} of {note}")

    nrmssd = (made(np.sqrt(np.mean(successive ** 2)) / np.mean(all_rr), "", "RMSSD / mean RR")
              if len(successive) >= MIN_SUCCESSIVE else
              Measured.missing("", f"{MIN_SUCCESSIVE} differences of successive RR intervals needed, "
                                   f"{len(successive)} found ({note})"))
    return Rhythm(made(60000.0 / np.mean(all_rr), "bpm", "60000 / mean RR"),
                  made(60000.0 / np.max(all_rr), "bpm", "longest RR"),
                  made(60000.0 / np.min(all_rr), "bpm", "shortest RR"),
                  made(np.mean(all_rr), "ms", "mean"), nrmssd, p_share)


def _confirmed(rr: list[np.ndarray]) -> list[np.ndarray]:
    """Each column's RR intervals, NaN where no other column has one within :data:`CONFIRM`
    of it. The columns are printed one after the other from one heart: a beat found twice, or
    a T wave or an artefact taken for a beat, makes an interval that no other column shows,
    while a regular rhythm repeats its interval in every column and an irregular one spreads
    its intervals over all of them alike. With fewer than two columns nothing is confirmed
    and everything is kept."""
    if sum(1 for r in rr if len(r)) < 2:
        return rr
    out = []
    for k, mine in enumerate(rr):
        others = np.concatenate([r for j, r in enumerate(rr) if j != k] or [np.empty(0)])
        ok = np.array([bool(np.any(np.abs(others - v) <= CONFIRM * v)) for v in mine], dtype=bool)
        out.append(np.where(ok, mine, np.nan))
    return out


def _bridged(x: np.ndarray) -> np.ndarray:
    """``x`` with its gaps (a trace lost for a moment) bridged by a straight line: a step at a
    gap's edge would be taken for a QRS."""
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return np.nan_to_num(x)
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])


def _stretch_beats(signals: np.ndarray, lead_names: tuple[str, ...], fs: float,
                   found: list[tuple[tuple[str, ...], int, int]],
                   qrs: Mapping[str, Sequence[tuple[int, int]]] | None = None,
                   ) -> list[np.ndarray]:
    """The beats (samples of the record) of each stretch. With ``qrs``, a beat counts only
    where one of the stretch's leads has a QRS within :data:`QRS_MATCH_MS` of it."""
    out: list[np.ndarray] = []
    edge = int(EDGE_MS * fs / 1000.0)
    for leads, start, stop in found:
        rows = np.asarray([_bridged(signals[lead_names.index(lead), start:stop]) for lead in leads])
        peaks = find_beats(rows, fs)
        peaks = peaks[(peaks >= edge) & (peaks < rows.shape[1] - edge)]
        if qrs is not None:
            margin = QRS_MATCH_MS * fs / 1000.0
            complexes = [(on - start, off - start) for lead in leads for on, off in qrs.get(lead, ())]
            peaks = np.array([p for p in peaks if any(on - margin <= p <= off + margin
                                                      for on, off in complexes)], dtype=np.int64)
        out.append(peaks + start)
    return out


def _stretch_rr(beats: list[np.ndarray], found: list[tuple[tuple[str, ...], int, int]],
                fs: float) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """The RR intervals (ms) of each stretch with 2 beats or more, and the leads they came
    from."""
    rr: list[np.ndarray] = []
    used: list[str] = []
    for peaks, (leads, _, _) in zip(beats, found):
        if len(peaks) >= 2:
            rr.append(np.diff(peaks) * 1000.0 / fs)
            used += [lead for lead in leads if lead not in used]
    return rr, tuple(used)


def time_axis_unsure(calibration: Mapping[str, float | bool]) -> str | None:
    """Why a printed page's times (rate, rhythm, intervals) cannot be measured, or None: its
    grid read as not square (``aspect_misread`` of the digitiser's calibration,
    :func:`workstation.scan.scale.misread_aspect`), so one axis' scale was misread and which
    one is not known."""
    apart = float(calibration.get("aspect_misread", 0.0) or 0.0)
    if apart <= 0.0:
        return None
    return (f"not measured: the page's grid reads {apart:.0%} longer one way than the other, "
            "so its time axis is not sure")


def untimed(rhythm: Rhythm, intervals: Intervals, why: str) -> tuple[Rhythm, Intervals]:
    """``rhythm`` and ``intervals`` with every time-based value missing, saying ``why`` (the P
    share, a count of beats, stays)."""
    bpm = Measured.missing("bpm", why)
    ms = Measured.missing("ms", why)
    return (Rhythm(bpm, bpm, bpm, ms, Measured.missing("", why), rhythm.p_share),
            Intervals(ms, ms, ms, ms, {formula: ms for formula in intervals.qtc}))


def _unconfirmed(strip: np.ndarray, columns: list[np.ndarray]) -> str:
    """Why a strip's rate is not taken, or "": a strip with an interval outside
    :data:`ODD_RR` times its median (a beat missed or counted twice, or a premature beat or a
    pause) gives its rate only when the columns' confirmed intervals, :data:`MIN_COLUMN_RR` or
    more, have a median within :data:`AGREE` of the strip's. A regular strip is its own
    evidence; an irregular one is either an irregular heart, which the columns show too, or a
    misread strip (a trace of the row above running into it)."""
    median = float(np.median(strip))
    if not ((strip < ODD_RR[0] * median) | (strip > ODD_RR[1] * median)).any():
        return ""
    shown = np.concatenate(columns) if columns else np.empty(0)
    shown = shown[np.isfinite(shown)]
    if len(shown) < MIN_COLUMN_RR:
        return ""
    theirs = float(np.median(shown))
    if abs(theirs - median) <= AGREE * median:
        return ""
    return (f"the rhythm strip ({60000 / median:.0f} bpm, irregular) and the printed columns "
            f"({60000 / theirs:.0f} bpm) disagree")


#: What the analysis of a printed page says of its reading, each a factor on the image's own
#: score: the limb leads' Einthoven residual from the limit to three times it (a misread limb
#: lead) down to EINTHOVEN_FLOOR; strips and columns that disagree on the beats; each value
#: measured but physiologically impossible (:mod:`rules.plausibility`).
EINTHOVEN_FLOOR = 0.3
TIMING_DISAGREE = 0.5
PER_IMPLAUSIBLE = 0.7


@dataclass(frozen=True)
class PageCheck:
    """How far a page read off an image can be trusted once its analysis is known: the
    image's score (``image``, :mod:`workstation.scan.quality`) times what the leads' agreement
    and the values' plausibility say (``score``), with the reasons."""

    image: float
    score: float
    reasons: tuple[str, ...]


def page_check(image_score: float, amplitudes: AmplitudeCheck, rhythm: Rhythm,
               implausible: tuple[str, ...], einthoven_limit: float) -> PageCheck:
    """The page's score and reasons (see :class:`PageCheck`). A clean-looking image whose
    leads contradict each other, or whose reading gives an impossible value, is not trusted
    for what the image looks like."""
    factor, reasons = 1.0, []
    residual = amplitudes.limb_residual
    if residual is not None and residual > einthoven_limit:
        share = (residual - einthoven_limit) / (2.0 * einthoven_limit)
        factor *= max(EINTHOVEN_FLOOR, 1.0 - share)
        reasons.append(f"the limb leads disagree (I - II + III residual {residual:.0%}, "
                       f"limit {einthoven_limit:.0%}): a limb lead misread")
    if rhythm.hr_bpm.value is None and "disagree" in rhythm.hr_bpm.note:
        factor *= TIMING_DISAGREE
        reasons.append(rhythm.hr_bpm.note)
    if implausible:
        factor *= PER_IMPLAUSIBLE ** len(implausible)
        reasons.append(f"{len(implausible)} value{'s' if len(implausible) > 1 else ''} "
                       "measured but physiologically impossible")
    return PageCheck(image_score, round(image_score * factor, 3), tuple(reasons))
