"""The end-to-end journey: data → don't-train baseline → LoRA → evaluate → forgetting → ship."""
