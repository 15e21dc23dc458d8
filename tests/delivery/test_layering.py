"""The delivery package stays Qt-free and torch-free until a command asks for the model or a
PDF, so that exports run on a server without a display (and import fast)."""

from __future__ import annotations

import subprocess
import sys


def test_exports_import_neither_qt_nor_torch() -> None:
    code = ("import sys\n"
            "import workstation.delivery.cli, workstation.delivery.hl7v2, workstation.delivery.fhir\n"
            "import workstation.delivery.dicom_export, workstation.delivery.aecg_export\n"
            "import workstation.delivery.case, workstation.delivery.selftest\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'torch', 'pyqtgraph'))\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
