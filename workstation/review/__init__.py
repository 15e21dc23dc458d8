"""Review work over analysed records: the worklist (pure computation, no Qt)."""
