"""Fine-tuning strategies side by side: the comparison run and its report."""
