"""The worklist: ECGs of a folder ordered by how urgently a clinician should look at them.

Pure Python (no Qt): entries, their review status, the urgency order and the filters.
Order: triage category (acute first), then records routed to review, then lowest confidence
first, then name; a record that could not be read comes first of all, since somebody must
look at why (van de Leur et al., JAHA 2020, for the categories).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Iterable

from rules.analysis import Analysis
from rules.types import Severity, Triage


class ReviewStatus(Enum):
    UNREVIEWED = "unreviewed"
    IN_REVIEW = "in review"
    REVIEWED = "reviewed"


@dataclass(frozen=True)
class WorklistEntry:
    """One ECG file on the worklist: its analysis, or why it could not be analysed."""

    path: Path
    analysis: Analysis | None = None
    error: str | None = None
    status: ReviewStatus = ReviewStatus.UNREVIEWED

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def triage(self) -> Triage | None:
        return self.analysis.routing.triage if self.analysis is not None else None

    @property
    def review(self) -> bool:
        return self.analysis is None or self.analysis.routing.review

    @property
    def confidence(self) -> float | None:
        return self.analysis.confidence.value if self.analysis is not None else None

    def main_flags(self, n: int = 3) -> str:
        """The most urgent flags, borderline ones marked with '?'."""
        if self.analysis is None:
            return self.error or ""
        names = [f.id.value + ("?" if f.severity is Severity.BORDERLINE else "")
                 for f in self.analysis.flags[:n]]
        more = len(self.analysis.flags) - n
        return ", ".join(names) + (f" (+{more})" if more > 0 else "") if names else "-"

    def quality(self) -> str:
        if self.analysis is None:
            return "unreadable"
        q = self.analysis.quality
        return f"{len(q.usable_leads)}/{len(q.leads)} leads"


def urgency_key(entry: WorklistEntry) -> tuple:
    """Sort key: unreadable, then acute .. normal, routed to review first, low confidence first."""
    if entry.analysis is None:
        return (0, 0, 0.0, entry.name)
    return (1, -entry.analysis.routing.triage.rank, not entry.analysis.routing.review,
            entry.analysis.confidence.value, entry.name)


def ordered(entries: Iterable[WorklistEntry]) -> list[WorklistEntry]:
    return sorted(entries, key=urgency_key)


@dataclass(frozen=True)
class WorklistFilter:
    """What the clinician chose to see; the default shows everything."""

    triage: Triage | None = None
    review_only: bool = False
    hide_reviewed: bool = False
    text: str = ""

    def accepts(self, entry: WorklistEntry) -> bool:
        if self.triage is not None and entry.triage is not self.triage:
            return False
        if self.review_only and not entry.review:
            return False
        if self.hide_reviewed and entry.status is ReviewStatus.REVIEWED:
            return False
        needle = self.text.strip().lower()
        return not needle or needle in entry.name.lower() or needle in entry.main_flags(99).lower()


def with_status(entry: WorklistEntry, status: ReviewStatus) -> WorklistEntry:
    return dataclasses.replace(entry, status=status)


def next_index(entries: list[WorklistEntry], current: int) -> int | None:
    """The next entry after ``current`` that is not reviewed yet (wrapping), or None."""
    n = len(entries)
    for step in range(1, n + 1):
        i = (current + step) % n
        if entries[i].status is not ReviewStatus.REVIEWED:
            return i
    return None


def distinct_names(paths: Iterable[Path]) -> dict[Path, str]:
    """A short name per file that tells files apart: the stem when it is unique, else the
    file name with its extension (the format), then with as many parent folders as needed.

    >>> names = distinct_names([Path("a/x.hea"), Path("b/x.hea"), Path("a/x.xml"), Path("a/y.hea")])
    >>> [names[Path(p)] for p in ("a/x.hea", "b/x.hea", "a/x.xml", "a/y.hea")]
    ['a/x.hea', 'b/x.hea', 'a/x.xml', 'y']
    """
    paths = list(dict.fromkeys(paths))
    names: dict[Path, str] = {}
    by_stem: dict[str, list[Path]] = {}
    for path in paths:
        by_stem.setdefault(path.stem, []).append(path)
    for stem, group in by_stem.items():
        if len(group) == 1:
            names[group[0]] = stem
            continue
        depth = 0
        while True:
            candidate = {p: "/".join(p.parts[-1 - depth:]) for p in group}
            if len(set(candidate.values())) == len(group) or depth >= max(len(p.parts) for p in group):
                names.update(candidate)
                break
            depth += 1
    return names
