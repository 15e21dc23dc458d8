"""ECG Workstation: read, annotate and review electrocardiograms offline."""

__version__ = "0.1.0"
