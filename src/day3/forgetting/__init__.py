"""Catastrophic forgetting: probes, reports, one strategy trained and probed (shared with compare),
the encoder run and the seq2seq run."""
