//! rplay's integration tests: one binary, so the lab boots once for all of them.
