"""The rule file: every rule present and cited, site overrides, and refusals by name."""

from __future__ import annotations

import pytest

from rules.ruleset import SITE_RULES_ENV, RuleSetError, load_ruleset
from rules.types import FlagId, QtcFormula, Severity, StPoint, Triage
from tests.rules import test_flags
from tests.rules.conftest import context


def test_every_flag_has_a_versioned_cited_rule(ruleset):
    assert ruleset.name == "ecgws-default" and ruleset.version
    assert set(ruleset.rules) == set(FlagId)
    for rule in ruleset.rules.values():
        assert rule.version and rule.citation and rule.source
        assert rule.severity in (Severity.INFO, Severity.ALERT)
        assert isinstance(rule.triage, Triage)
    assert ruleset.qtc_formula is QtcFormula.FRAMINGHAM and ruleset.st_point is StPoint.J
    assert ruleset.contiguity and ruleset.review_triage == {Triage.ACUTE, Triage.SUBACUTE}


def test_site_file_overrides_only_what_it_names(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('[ruleset]\nsite = "cardiology-ward-3 v2"\n'
                    '[measurement]\nqtc_formula = "bazett"\n'
                    '[rules.bradycardia]\nthreshold = 50.0\n'
                    '[confidence]\nreview_threshold = 0.8\n', encoding="utf-8")
    custom = load_ruleset(site)
    assert custom.rule(FlagId.BRADYCARDIA).param("threshold") == 50.0
    assert custom.rule(FlagId.BRADYCARDIA).citation  # untouched keys stay
    assert custom.rule(FlagId.TACHYCARDIA).param("threshold") == 100.0
    assert custom.qtc_formula is QtcFormula.BAZETT and custom.review_threshold == 0.8
    assert custom.label == "ecgws-default 1.0.0 + site cardiology-ward-3 v2"
    assert custom.sources[-1] == str(site)
    flag, _ = test_flags.g.bradycardia(context(custom, hr=55.0))
    assert flag is None  # 55 bpm is above the site's 50 bpm (+2 band)


def test_site_file_from_the_environment(tmp_path, monkeypatch):
    site = tmp_path / "env.toml"
    site.write_text("[rules.tachycardia]\nthreshold = 90.0\n", encoding="utf-8")
    monkeypatch.setenv(SITE_RULES_ENV, str(site))
    assert load_ruleset().rule(FlagId.TACHYCARDIA).param("threshold") == 90.0


@pytest.mark.parametrize("text, message", [
    ("[rules.bradycardia]\nthreshhold = 50.0\n", "unknown key 'rules.bradycardia.threshhold'"),
    ("[rules.bradycardia]\nseverity = \"urgent\"\n", "not one of info, borderline, alert"),
    ("[measurement]\nqtc_formula = \"rautaharju\"\n", "qtc_formula"),
    ("[rules.bradycardia]\nthreshold = \"sixty\"\n", "must be a number"),
    ("not toml [", "not valid TOML"),
])
def test_malformed_site_files_are_refused_by_name(tmp_path, text, message):
    site = tmp_path / "bad.toml"
    site.write_text(text, encoding="utf-8")
    with pytest.raises(RuleSetError, match="bad.toml") as info:
        load_ruleset(site)
    assert message in str(info.value)


def test_missing_site_file_is_refused(tmp_path):
    with pytest.raises(RuleSetError, match="not found"):
        load_ruleset(tmp_path / "absent.toml")
