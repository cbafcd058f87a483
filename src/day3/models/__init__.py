"""Models, resolved in one place: the alias catalogue (the only caller of miniflan), the loaders
(safetensors only, no remote code, checksums) and the tiny random models for smoke runs."""
