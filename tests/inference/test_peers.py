"""The peers' output is parsed wave by wave from their own beat rows."""

from __future__ import annotations

import numpy as np
import pytest

from inference.delineation.peers import Peer, parse_beats, run_peer
from inference.delineation.scoring import Boundary
from resources import sample_ecg_path
from workstation.core.delineation import WaveKind
from workstation.core.record import ECGRecord
from workstation.io import read_ecg

NAN = np.nan


def test_each_wave_keeps_its_own_boundaries_even_when_waves_overlap():
    # beat 1: the P offset (130) lies after the QRS onset (120): it stays the P's offset
    table = {
        WaveKind.P: ([100, 500], [115, NAN], [130, 540]),
        WaveKind.QRS: ([120, NAN], [140, 600], [160, 620]),
        WaveKind.T: ([NAN, NAN], [NAN, NAN], [NAN, NAN]),
    }
    waves, bounds = parse_beats("II", table)
    p = [w for w in waves if w.kind is WaveKind.P]
    assert [(w.onset, w.peak, w.offset) for w in p] == [(100, 115, 130), (500, 520, 540)]
    qrs = [w for w in waves if w.kind is WaveKind.QRS]
    assert [(w.onset, w.offset) for w in qrs] == [(120, 160)]  # beat 2 has no QRS onset
    assert list(bounds[Boundary.QRS_OFF]) == [160, 620]  # but its offset is still scored
    assert bounds[Boundary.T_ON].size == 0


def test_peer_names_and_install_hint():
    assert Peer.NEUROKIT2.pip_command == "pip install neurokit2"
    assert Peer.ECGDELI.module == "ecgdeli"


def test_neurokit2_adapter_on_one_lead():
    pytest.importorskip("neurokit2")
    sample = read_ecg(sample_ecg_path())
    i = sample.lead_index("II")
    record = ECGRecord.from_array(sample.signals[i:i + 1], sample.fs, sample.leads[i:i + 1],
                                  sample.source)
    out = run_peer(Peer.NEUROKIT2, record)
    assert out.delineation.model_name == "NeuroKit2"
    assert len(out.delineation.waves_in("II", WaveKind.QRS)) >= 10
    assert out.boundaries["II"][Boundary.QRS_ON].size >= 10
