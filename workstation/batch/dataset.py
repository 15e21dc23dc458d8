"""The dataset a batch writes: two tables of Parquet parts, and what is already in them.

    DATASET/records/part-RUN-CHUNK.parquet   one row per input record (see RECORD_SCHEMA)
    DATASET/waves/part-RUN-CHUNK.parquet     one row per wave (see WAVE_SCHEMA)

Each table is a Parquet dataset (``pyarrow.dataset.dataset(DATASET / "records")``,
``pandas.read_parquet``, DuckDB, Spark). A part is written under a temporary name and renamed,
so a part is whole or absent; a task that Dask runs twice (its worker died) rewrites the same
part. Rows are never updated: a rerun adds parts for the records not yet written.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from workstation.batch.process import MEASUREMENT_COLUMNS

RECORDS, WAVES = "records", "waves"


def record_schema() -> Any:
    import pyarrow as pa

    fields = [("content_hash", pa.string()), ("record_id", pa.string()), ("source", pa.string()),
              ("name", pa.string()), ("format", pa.string()), ("device", pa.string()),
              ("n_leads", pa.int32()), ("fs", pa.float64()), ("duration_s", pa.float64()),
              ("model", pa.string()), ("quality_score", pa.float64()),
              ("poor_leads", pa.string()), ("triage", pa.string()), ("assessment", pa.string()),
              ("review", pa.bool_()), ("confidence", pa.float64()), ("flags", pa.string())]
    fields += [(name, pa.float64()) for name in MEASUREMENT_COLUMNS]
    fields += [("analysis_json", pa.string()), ("error", pa.string()),
               ("elapsed_s", pa.float64())]
    return pa.schema(fields)


def wave_schema() -> Any:
    import pyarrow as pa

    return pa.schema([("content_hash", pa.string()), ("record_id", pa.string()),
                      ("lead", pa.string()), ("kind", pa.string()), ("onset", pa.int64()),
                      ("peak", pa.int64()), ("offset", pa.int64()),
                      ("onset_conf", pa.float64()), ("peak_conf", pa.float64()),
                      ("offset_conf", pa.float64()), ("fs", pa.float64())])


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def written_records(out: Path) -> list[tuple[str, str, str | None]]:
    """(content hash, signal id, model) of every record analysed in ``out`` without error;
    the model as the analysis names it, ``"name version"``, or None when it did not run."""
    import pyarrow.dataset as ds

    folder = out / RECORDS
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return []
    table = ds.dataset(folder, format="parquet", schema=record_schema()).to_table(
        columns=["content_hash", "record_id", "model", "error"])
    columns = (table.column(name).to_pylist()
               for name in ("content_hash", "record_id", "model", "error"))
    return [(h, r, m) for h, r, m, e in zip(*columns) if h and e is None]


def write_part(out: Path, run_id: str, chunk: int, records: list[dict],
               waves: list[dict]) -> None:
    """Write one chunk's rows as a part of each table (whole or not at all)."""
    import pyarrow as pa

    for table, rows, schema in ((RECORDS, records, record_schema()),
                                (WAVES, waves, wave_schema())):
        if not rows:
            continue
        folder = out / table
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"part-{run_id}-{chunk:06d}.parquet"
        _write_atomic(pa.Table.from_pylist(rows, schema=schema), target)


def _write_atomic(table: Any, target: Path) -> None:
    import pyarrow.parquet as pq

    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, target)


def read_table(out: Path, table: str) -> Any:
    """One table of the dataset as a pyarrow Table."""
    import pyarrow.dataset as ds

    schema = record_schema() if table == RECORDS else wave_schema()
    return ds.dataset(out / table, format="parquet", schema=schema).to_table()
