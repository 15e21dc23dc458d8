"""Models over ECG records (delineation, digitisation of scans). Pure computation, no Qt."""
