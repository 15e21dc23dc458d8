"""Archives at scale: every ECG file under some folders delineated, analysed and written to a
partitioned Parquet dataset, on a Dask cluster (a local one by default).

- :mod:`workstation.batch.process`: one file -> its record row and wave rows (pure; no Dask);
- :mod:`workstation.batch.dataset`: the dataset's layout, what is already in it, one part;
- :mod:`workstation.batch.runner`: files in chunks as Dask tasks, progress, resumption;
- :mod:`workstation.batch.proposals`: the model's proposals into a store, by the client alone;
- :mod:`workstation.batch.cli`: ``ecgws batch``.

Dask and pyarrow are the ``[batch]`` extra; the desktop application never imports this package.
"""
