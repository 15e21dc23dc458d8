"""Entry point of the frozen desktop app: the ``ecgws`` command line (``open`` by default).

Started without arguments (a double click, the desktop entry) it opens the workstation on
the bundled sample; with arguments it is the ordinary ``ecgws`` command line, including
``ecgws --self-test``.
"""

import multiprocessing
import sys

from workstation.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # torch and the worklist may start worker processes
    sys.exit(main(sys.argv[1:] or ["open", "--sample"]))
