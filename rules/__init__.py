"""Clinical measurements and rule flags over ECG records. Pure computation, no Qt, no torch."""
