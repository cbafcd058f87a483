"""Sequence-to-sequence (T5) training, generation and metrics, shared by the mini-FLAN stand-in and
the seq2seq forgetting run."""
