"""The versioned rule file: loading, validating and overriding it.

The thresholds live in ``resources/rules/ruleset.toml`` (documented there, one citation per
rule). A site overrides any value with a file of the same shape; only the keys it names
change. :func:`load_ruleset` returns a frozen, validated :class:`RuleSet`; a wrong or missing
key is a :class:`RuleSetError` naming the file and the key, never a silent default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from rules.types import FlagId, QtcFormula, Severity, StPoint, Triage

DEFAULT_RULES_FILE = ("rules", "ruleset.toml")
#: Environment variable naming a site override file.
SITE_RULES_ENV = "ECGWS_RULES"
_RULE_KEYS = {"version", "severity", "triage", "citation", "source", "borderline", "enabled",
              "alert_triage"}


class RuleSetError(ValueError):
    """The rule file (or a site override) is malformed; the message names file and key."""


@dataclass(frozen=True)
class Rule:
    """One rule's settings: severity, triage category, citation, borderline band and numbers.

    ``params`` holds the rule's numbers (``threshold``, ``threshold_female``, ``alert_at`` ...)
    as floats; :meth:`param` reads one and raises naming the rule when it is absent.
    """

    id: FlagId
    version: str
    severity: Severity
    triage: Triage
    citation: str
    borderline: float
    params: Mapping[str, float]
    enabled: bool = True
    alert_triage: Triage | None = None
    source: str = ""

    def param(self, name: str) -> float:
        try:
            return self.params[name]
        except KeyError:
            raise RuleSetError(f"rule {self.id.value}: no {name!r} in the rule file") from None

    def has(self, name: str) -> bool:
        return name in self.params


@dataclass(frozen=True)
class Contiguity:
    """Contiguous leads (4th UDMI): any two of a ``group``, or neighbours in a ``sequence``."""

    name: str
    leads: tuple[str, ...]
    sequence: bool

    def pairs(self) -> tuple[tuple[str, str], ...]:
        if self.sequence:
            return tuple(zip(self.leads, self.leads[1:]))
        return tuple((a, b) for i, a in enumerate(self.leads) for b in self.leads[i + 1:])


@dataclass(frozen=True)
class QualityLimits:
    """A quality metric's limits: at ``fair_at`` still good, beyond ``poor_at`` poor."""

    fair_at: float
    poor_at: float


@dataclass(frozen=True)
class RuleSet:
    """All thresholds and settings of one version of the rule file (plus any site override)."""

    name: str
    version: str
    site: str
    sources: tuple[str, ...]
    qtc_formula: QtcFormula
    st_point: StPoint
    measurement: Mapping[str, Any]
    quality: Mapping[str, Any]
    review_threshold: float
    review_triage: frozenset[Triage]
    margin_bands: float
    rules: Mapping[FlagId, Rule]
    contiguity: tuple[Contiguity, ...]
    #: measurement key ("hr_bpm", "pr_ms" ...) -> (lowest, highest) plausible value
    plausibility: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: MappingProxyType({}))
    #: tolerance of a difference from the device's own measurement ("pr_ms" -> 10.0 ...)
    device_tolerances: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def label(self) -> str:
        """``name version`` plus the site override, as stored with every result."""
        return f"{self.name} {self.version}" + (f" + site {self.site}" if self.site else "")

    def rule(self, flag: FlagId) -> Rule:
        return self.rules[flag]

    def quality_limits(self, key: str) -> QualityLimits:
        entry = self.quality[key]
        return QualityLimits(float(entry["fair_at"]), float(entry["poor_at"]))

    def outlier_ms(self, kind: str) -> float:
        return float(self.measurement["outlier_ms"][kind])


def load_ruleset(site: Path | None = None, *, base: Path | None = None) -> RuleSet:
    """The shipped rule file, overridden by ``site`` (or ``$ECGWS_RULES``) when given.

    Parameters
    ----------
    site
        A TOML file of the same shape as the rule file; only the keys it names change.
    base
        The rule file itself (default: ``resources/rules/ruleset.toml``).

    Raises
    ------
    RuleSetError
        A file is missing, is not TOML, or has an unknown or malformed key.
    """
    from resources import resource_path

    base = base or resource_path(*DEFAULT_RULES_FILE)
    data = _read(base)
    sources = [str(base)]
    site = site or (Path(os.environ[SITE_RULES_ENV]) if os.environ.get(SITE_RULES_ENV) else None)
    if site is not None:
        override = _read(site)
        _check_known(data, override, str(site), "")
        data = merge(data, override)
        sources.append(str(site))
    try:
        return _build(data, tuple(sources))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, RuleSetError):
            raise
        raise RuleSetError(f"{' + '.join(sources)}: malformed rule set ({exc!r})") from exc


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override``'s keys replacing its own, table by table (lists replace)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            out[key] = merge(base[key], value)
        else:
            out[key] = value
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise RuleSetError(f"{path}: rule file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError(f"{path}: not valid TOML ({exc})") from None


def _check_known(base: Mapping[str, Any], override: Mapping[str, Any], path: str,
                 prefix: str) -> None:
    """A site file may only change keys the rule file has: a typo must not pass silently."""
    for key, value in override.items():
        name = f"{prefix}{key}"
        if key not in base and key != "enabled":
            raise RuleSetError(f"{path}: unknown key {name!r} (not in the rule file)")
        if isinstance(value, Mapping) and isinstance(base[key], Mapping):
            _check_known(base[key], value, path, name + ".")


def _build(data: Mapping[str, Any], sources: tuple[str, ...]) -> RuleSet:
    head, measurement, confidence = data["ruleset"], data["measurement"], data["confidence"]
    rules = {}
    for key, entry in data["rules"].items():
        flag = _enum(FlagId, key, sources, "rules")
        rules[flag] = _rule(flag, entry, sources)
    missing = set(FlagId) - set(rules)
    if missing:
        raise RuleSetError(f"{sources[0]}: no rule for {', '.join(sorted(f.value for f in missing))}")
    return RuleSet(
        name=str(head["name"]), version=str(head["version"]), site=str(head.get("site", "")),
        sources=sources,
        qtc_formula=_enum(QtcFormula, measurement["qtc_formula"], sources, "qtc_formula"),
        st_point=_enum(StPoint, measurement["st_point"], sources, "st_point"),
        measurement=MappingProxyType(dict(measurement)),
        quality=MappingProxyType(dict(data["quality"])),
        review_threshold=float(confidence["review_threshold"]),
        review_triage=frozenset(_enum(Triage, t, sources, "review_triage")
                                for t in confidence["review_triage"]),
        margin_bands=float(confidence["margin_bands"]),
        rules=MappingProxyType(rules),
        contiguity=tuple(Contiguity(str(c["name"]), tuple(c["leads"]), c["kind"] == "sequence")
                         for c in data.get("contiguity", ())),
        plausibility=MappingProxyType({str(k): (float(v[0]), float(v[1]))
                                       for k, v in data.get("plausibility", {}).items()}),
        device_tolerances=MappingProxyType({str(k): float(v) for k, v in
                                            data.get("device_comparison", {}).items()}),
    )


def _rule(flag: FlagId, entry: Mapping[str, Any], sources: tuple[str, ...]) -> Rule:
    params = {}
    for key, value in entry.items():
        if key in _RULE_KEYS:
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise RuleSetError(f"{sources[-1]}: rules.{flag.value}.{key} must be a number")
        params[key] = float(value)
    alert = entry.get("alert_triage")
    return Rule(
        id=flag, version=str(entry["version"]),
        severity=_enum(Severity, entry["severity"], sources, f"rules.{flag.value}.severity"),
        triage=_enum(Triage, entry["triage"], sources, f"rules.{flag.value}.triage"),
        citation=str(entry["citation"]), source=str(entry.get("source", "")),
        borderline=float(entry["borderline"]),
        params=MappingProxyType(params), enabled=bool(entry.get("enabled", True)),
        alert_triage=None if alert is None else _enum(Triage, alert, sources,
                                                      f"rules.{flag.value}.alert_triage"),
    )


def _enum(cls, value: object, sources: tuple[str, ...], key: str):
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise RuleSetError(f"{' + '.join(sources)}: {key} = {value!r} is not one of {allowed}") from None
