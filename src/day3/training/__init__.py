"""Session 2, training LLMs: when (not) to train — baselines that train nothing and the decision
guide — and how fast training can go on this machine (the optimizations benchmark)."""
