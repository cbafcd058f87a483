"""What this machine's matrix multiply can do: the peak an MFU is measured against.

MFU (model FLOPs utilization) = the FLOPs a training step needs / seconds / peak FLOP/s. The
peak is measured here, on the same machine and threads as the training, with square GEMMs in
fp32 and bf16: a vendor's datasheet number would flatter or insult a laptop. The best of a few
timed repeats after a warm-up is reported (GEMM timing is noisy on a shared machine; the best
is what the hardware can do)."""

from __future__ import annotations

import time


def gemm_gflops(dtype: str = "fp32", size: int = 1024, seconds: float = 1.0) -> float:
    """Best GFLOP/s of `size`×`size` matmuls in `dtype` ("fp32" or "bf16") over ~`seconds`."""
    import torch

    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
    a = torch.randn(size, size, dtype=torch_dtype)
    b = torch.randn(size, size, dtype=torch_dtype)
    for _ in range(3):  # warm-up: kernel selection, caches, thread pool start
        a @ b
    flops, best, deadline = 2 * size**3, 0.0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        for _ in range(4):
            a @ b
        best = max(best, 4 * flops / (time.perf_counter() - start))
    return round(best / 1e9, 1)


def measured_peak(seconds: float = 1.0) -> dict[str, float]:
    """{"fp32": GFLOP/s, "bf16": GFLOP/s} of this machine, now."""
    return {dtype: gemm_gflops(dtype, seconds=seconds) for dtype in ("fp32", "bf16")}
