"""What the shared real paper-ECG images show, read by eye (``tests/data/real_images/truth.csv``),
and how an analysis of one of them is judged against it.

An image is *readable* when its record has at least :data:`MIN_USABLE_LEADS` leads the rules may
reason over; a readable image's rate is *right* within :data:`RATE_TOLERANCE` of the beats
counted on the page, and its rhythm is right when a regular page raises no irregular-rhythm
flag and an irregular one does (a regular rhythm with premature beats may read either way). A
value outside :data:`LIMITS` is implausible: it should never be reported.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

TRUTH_CSV = Path(__file__).resolve().parents[1] / "data" / "real_images" / "truth.csv"

MIN_USABLE_LEADS = 6
RATE_TOLERANCE = 0.10
IRREGULAR_FLAGS = ("irregular_rhythm", "possible_atrial_fibrillation")
LIMITS = {"hr_bpm": (20, 300), "hr_min_bpm": (20, 300), "hr_max_bpm": (20, 300),
          "pr_ms": (60, 400), "qrs_ms": (40, 250), "qt_ms": (200, 700), "qtc_ms": (250, 700)}


@dataclass(frozen=True)
class PageTruth:
    file: str
    layout: str
    rate_bpm: float
    rhythm: str  # "regular", "irregular" or "ectopic" (regular with premature beats)
    strips: tuple[str, ...]
    leads: int
    note: str


@dataclass(frozen=True)
class Verdict:
    file: str
    usable_leads: int
    hr_bpm: float | None
    irregular: bool
    implausible: tuple[str, ...]  # "name value" of every reported value outside LIMITS
    truth: PageTruth

    @property
    def readable(self) -> bool:
        return self.usable_leads >= MIN_USABLE_LEADS

    @property
    def rate_right(self) -> bool:
        return (self.hr_bpm is not None
                and abs(self.hr_bpm - self.truth.rate_bpm) <= RATE_TOLERANCE * self.truth.rate_bpm)

    @property
    def rhythm_right(self) -> bool:
        if self.truth.rhythm == "ectopic":
            return True
        return self.irregular == (self.truth.rhythm == "irregular")


def load_truth(path: Path = TRUTH_CSV) -> dict[str, PageTruth]:
    """The table, by file name."""
    with path.open(newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {row["file"]: PageTruth(row["file"], row["layout"], float(row["rate_bpm"]),
                                       row["rhythm"], tuple(row["strips"].split()),
                                       int(row["leads"]), row["note"]) for row in rows}


def judge(result: dict, truth: PageTruth) -> Verdict:
    """``result``: the JSON form of an analysis (:func:`rules.report.to_json_dict`)."""
    values = result["measurements"]
    usable = sum(1 for lead in result["quality"]["leads"].values() if lead["grade"] != "poor")
    irregular = any(f["id"] in IRREGULAR_FLAGS and f["severity"] != "borderline"
                    for f in result["flags"])
    implausible = tuple(f"{key} {values[key]}" for key, (low, high) in LIMITS.items()
                        if values.get(key) is not None and not low <= values[key] <= high)
    return Verdict(truth.file, usable, values["hr_bpm"], irregular, implausible, truth)
