"""P, QRS and T delineation: a small 1-D U-Net per lead, its training, and its evaluation.

``inference.delineation.predict.delineate(record)`` is the entry point (re-exported as
:func:`inference.delineate`). Nothing here imports Qt.
"""

import os

# Threads that sleep rather than spin while waiting: on a CPU shared with other work, torch's
# spinning OpenMP threads made every operation about ten times slower (measured: a training
# step 2.4 s instead of 0.25 s on two busy cores). Has effect only before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
