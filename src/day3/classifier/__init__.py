"""Text classification: the strategy registry (full, LoRA, IA3, prompt tuning, frozen), training with
the Trainer, run folders, evaluation, prediction, multi-task training, the similarity probe's
encoder and inference throughput."""
