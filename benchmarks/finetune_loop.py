"""The retraining loop end to end: corrections -> export -> fine-tune -> better agreement.

The corrections are simulated, and say so: a reader ("sim") whose convention differs
systematically from LUDB's cardiologists (and so from the shipped model, trained on them):
they end the T wave later (+24 ms: at the return to baseline rather than at the tangent's
crossing) and start the QRS earlier (-8 ms). Their sets are LUDB's reference with those
shifts, on the LUDB **train** and **validation** records only; the test split is never read.

1. "sim"'s sets go into a fresh store (signed submissions); the shipped model's proposals
   are added on the held-out records (LUDB validation).
2. ``ecgws agreement``'s code: sim vs the shipped model on the held-out records.
3. ``ecgws export --format arrays``: train = LUDB train less 20 records, validation = those
   20 (early stopping), test = LUDB validation (held out).
4. ``ecgws finetune``'s code writes a new model version with its card.
5. The workstation switches to it (``inference.set_active_model``); its proposals on the
   held-out records name the new version; agreement with sim is measured again.

    .venv/bin/python benchmarks/finetune_loop.py --work /tmp/loop [--epochs 6]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.store.file_keyring import use_file_keyring  # noqa: E402

T_OFF_SHIFT_MS = 24.0
QRS_ON_SHIFT_MS = -8.0
VALIDATION_RECORDS = 20


def shifted_reference(record, fs: float):
    """LUDB's waves on ``record`` in the simulated reader's convention."""
    from workstation.core.annotation import AnnotationState
    from workstation.core.delineation import Delineation, WaveKind, waves_from_marks
    from inference.delineation.data import lead_marks

    waves = []
    for lead in record.lead_names:
        for w in waves_from_marks(lead, *lead_marks(record, lead)):
            if w.kind is WaveKind.T:
                w = dataclasses.replace(w, offset=min(record.n_samples - 1,
                                                      w.offset + round(T_OFF_SHIFT_MS * fs / 1000)))
            elif w.kind is WaveKind.QRS:
                w = dataclasses.replace(w, onset=max(0, w.onset + round(QRS_ON_SHIFT_MS * fs / 1000)))
            waves.append(w)
    d = Delineation(fs, record.lead_names, tuple(waves), "sim", "")
    state = AnnotationState.from_proposal(d, record.n_samples)
    return dataclasses.replace(state, waves={k: dataclasses.replace(a, provenance=type(a.provenance)())
                                             for k, a in state.waves.items()})


def agreement_rows(store, model_tag: str, records: list[str]) -> dict:
    from workstation.panel.agreement import agreement
    from workstation.panel.sources import Source, SourceKind, load_panel

    data = load_panel(store, [Source("sim", SourceKind.ANNOTATOR), Source(model_tag, SourceKind.MODEL)])
    data.sets["sim"] = {r: s for r, s in data.sets["sim"].items() if r in records}
    (pair,) = agreement(data).pairs
    return pair.to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args()
    import inference
    from inference.delineation.data import Split, default_ludb_dir, read_record, split_records
    from inference.delineation.finetune import FinetuneConfig, finetune
    from workstation.panel.export import Format, export
    from workstation.store import AnnotationStore

    args.work.mkdir(parents=True, exist_ok=True)
    use_file_keyring(args.work / "keyring.json")
    ludb = default_ludb_dir()
    train, held_out = split_records(ludb, Split.TRAIN), split_records(ludb, Split.VALIDATION)
    store_path = args.work / "loop.ecgws"
    store_path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    held_ids = []
    with AnnotationStore.open(store_path) as store:
        store.add_annotator("sim", "Simulated reader (T end +24 ms, QRS onset -8 ms)")
        store.switch_user("sim")
        for name in train + held_out:
            record = read_record(ludb, name)
            info = store.add_record(record)
            store.import_set(info.id, shifted_reference(record, record.fs),
                             origin={"simulated": f"LUDB {name}, T off {T_OFF_SHIFT_MS:+g} ms, "
                                                  f"QRS on {QRS_ON_SHIFT_MS:+g} ms"})
            if name in held_out:
                held_ids.append(info.id)
                store.add_proposal(info.id, inference.delineate(record))
        base_tag = f"{inference.active_model().name}/{inference.active_model().version}"
        before = agreement_rows(store, base_tag, held_ids)
        print(f"store: {len(train) + len(held_out)} records ({time.perf_counter() - t0:.0f} s)")
        splits = {"train": train[VALIDATION_RECORDS:], "validation": train[:VALIDATION_RECORDS],
                  "test": held_out}
        t1 = time.perf_counter()
        export(store, args.work / "export", source="sim", formats=[Format.ARRAYS],
               records_dirs=[ludb], splits=splits)
        print(f"export: {time.perf_counter() - t1:.0f} s")
        t2 = time.perf_counter()
        cfg = dataclasses.replace(FinetuneConfig(), epochs=args.epochs, steps_per_epoch=args.steps)
        figures = finetune(args.work / "export", args.work / "model" / "delineation-ft.pt", cfg=cfg)
        print(f"fine-tune: {time.perf_counter() - t2:.0f} s")
        info = inference.set_active_model(args.work / "model" / "delineation-ft.pt")
        for name, record_id in zip(held_out, held_ids):
            store.add_proposal(record_id, inference.delineate(read_record(ludb, name)))
        after = agreement_rows(store, f"{info.name}/{info.version}", held_ids)
        inference.set_active_model(None)
    print(f"\nsim vs model on the {len(held_out)} held-out records (LUDB validation), per lead; "
          f"{base_tag} -> {info.name}/{info.version}")
    print(f"{'boundary':<9}{'F1 before':>10}{'F1 after':>10}{'mean before':>13}{'mean after':>12}"
          f"{'SD before':>11}{'SD after':>10}")
    for key, b in before["boundaries"].items():
        a = after["boundaries"][key]
        print(f"{key:<9}{100 * b['f1']:>10.2f}{100 * a['f1']:>10.2f}{b['mean_ms']:>+13.1f}"
              f"{a['mean_ms']:>+12.1f}{b['sd_ms']:>11.1f}{a['sd_ms']:>10.1f}")
    (args.work / "loop.json").write_text(json.dumps({"before": before, "after": after,
                                                     "finetune": figures}, indent=1))


if __name__ == "__main__":
    main()
