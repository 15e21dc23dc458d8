"""Monitoring: corrections of the model's proposals per boundary and lead, drift of the data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.store.conftest import synthetic_delineation, synthetic_record
from workstation.cli import main
from workstation.core.annotation import Boundary
from workstation.core.commands import DeleteWave, MoveBoundary
from workstation.core.delineation import WaveKind
from workstation.panel.monitor import Population, corrections, drift
from workstation.store import AnnotationStore


@pytest.fixture
def corrected(store_path: Path) -> Path:
    """A reader moved one T offset on II by 20 ms and deleted one P wave on V1 of rec-1."""
    with AnnotationStore.open(store_path) as store:
        store.add_annotator("ann1", "Annotator One")
        store.switch_user("ann1")
        for record_id in ("rec-1", "rec-2"):
            store.add_record(synthetic_record(record_id))
            store.add_proposal(record_id, synthetic_delineation())
        session = store.open_session("rec-1")
        t = session.state.waves_in("II", WaveKind.T)[0]
        session.execute(MoveBoundary.of(session.state, t.id, Boundary.OFFSET, t.offset + 10))
        p = session.state.waves_in("V1", WaveKind.P)[0]
        session.execute(DeleteWave.of(session.state, p.id))
        session.submit()
        store.open_session("rec-2").submit()  # accepted as proposed
    return store_path


def test_corrections_per_boundary_and_lead(corrected: Path) -> None:
    with AnnotationStore.open(corrected) as store:
        found = corrections(store)
    (model,) = found
    assert model == "unet/1.0"
    every = found[model]["all"].to_dict()
    assert every["sets"] == 2
    t_off = every["by_boundary_and_lead"]["T_off"]["II"]
    assert t_off["proposed"] == 24 and t_off["moved"] == 1
    assert t_off["mean_abs_shift_ms"] == pytest.approx(20.0)
    assert every["by_boundary_and_lead"]["T_off"]["I"]["moved"] == 0
    assert every["waves_deleted"] == {"P": {"V1": 1}}
    assert len(found[model]) == 2  # "all" and the month of submission


def test_drift_flags_a_shifted_distribution() -> None:
    rng = np.random.default_rng(1)
    now, ref = Population(), Population()
    now.values["QT"] = list(rng.normal(460, 20, 200))
    ref.values["QT"] = list(rng.normal(400, 20, 200))
    now.values["QRS"] = list(rng.normal(100, 10, 200))
    ref.values["QRS"] = list(rng.normal(100, 10, 200))
    now.fs.update({"500": 3, "250": 1})
    result = drift(now, ref)
    assert result["QT"]["ks"]["drift"] and not result["QRS"]["ks"]["drift"]
    assert result["fs"]["incoming"] == {"500": 0.75, "250": 0.25}


def test_monitor_cli_json(corrected: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["monitor", str(corrected), "--training", str(tmp_path), "--json"]) == 2
    assert "no splits.json" in capsys.readouterr().err
    training = tmp_path / "training"
    training.mkdir()
    for f in (Path(__file__).resolve().parents[1] / "data" / "ludb").glob("1.*"):
        (training / f.name).write_bytes(f.read_bytes())
    (training / "splits.json").write_text(json.dumps({"train": ["1"]}))
    assert main(["monitor", str(corrected), "--training", str(training), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["drift"]["QT"]["training"]["n"] == 1
    assert report["corrections"]["unet/1.0"]["all"]["sets"] == 2
    assert report["drift"]["fs"]["incoming"] == {"500": 1.0}
    assert report["drift"]["QT"]["incoming"]["n"] == 2


def test_flags_the_readers_corrections_overrule(store_path: Path) -> None:
    """The model's QRS ends 70 ms late on the sample, which makes its wide-QRS flag firm; the
    reader moves every QRS end back to the cardiologists' position, where it is borderline."""
    import dataclasses

    from workstation.core.delineation import read_wfdb_annotations
    from workstation.io import read_ecg
    from workstation.panel.monitor import flag_changes
    from workstation.ui.app import sample_path

    record = read_ecg(sample_path())
    reference = read_wfdb_annotations(sample_path().with_suffix(""), record.lead_names, record.fs)
    late = tuple(dataclasses.replace(w, offset=w.offset + 35) if w.kind is WaveKind.QRS else w
                 for w in reference.waves)
    proposal = dataclasses.replace(reference, waves=late, model_name="unet", model_version="late")
    with AnnotationStore.open(store_path) as store:
        store.add_annotator("ann1", "Annotator One")
        store.switch_user("ann1")
        info = store.add_record(record)
        store.add_proposal(info.id, proposal)
        session = store.open_session(info.id)
        for wave in reference.waves:
            if wave.kind is WaveKind.QRS:
                session.execute(MoveBoundary.of(session.state, wave.id, Boundary.OFFSET, wave.offset))
        session.submit()
        found = flag_changes(store, lambda _info: record)
    changes = found["unet/late"].to_dict()
    assert changes["sets"] == 1
    by_rule = changes["by_rule"]
    assert by_rule["wide_qrs (info)"] == {"raised": 1, "overruled": 1, "added": 0}
    # the readers' own QRS (the sample's, about 100 ms) raises no wide_qrs flag of any kind
    assert "wide_qrs (borderline)" not in by_rule
    untouched = {k: v for k, v in by_rule.items() if not k.startswith("wide_qrs")}
    assert untouched and all(v["overruled"] == 0 for v in untouched.values())
    assert 0 < changes["overruled_share"] < 1
