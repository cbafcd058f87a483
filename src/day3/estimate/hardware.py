"""Peak FLOP/s and memory of the machines a course participant is likely to rent, by dtype.

GPU figures are NVIDIA's datasheet numbers for *dense* math (the datasheets print tensor-core
figures "with sparsity", twice the dense ones; we halve them). fp32 is the plain (non-TF32)
figure because PyTorch runs fp32 matmuls without TF32 unless told to
(`torch.backends.cuda.matmul.allow_tf32`). int8 and int4 rows (LLM.int8, QLoRA) compute in
bf16/fp16: bitsandbytes dequantizes the weights for each matmul, so they get the 16-bit peak.

`cpu` is the course machine itself (2 cores, Xeon with AVX-512 and AMX-BF16), measured:
median of 5 `torch.matmul` of two 4096x4096 matrices, 2 threads, torch 2.13 (an achievable
peak, not a theoretical one). Another CPU differs; time on it is a rough guide only.

`runtime_bytes` is the fixed cost no formula of the model gives: on a CPU the resident size of
torch + transformers + peft after import (measured on the course machine with
`day3 estimate --measure`, which prints it each time); on a GPU the CUDA context and the
cuBLAS workspace (typical for torch 2.x; nvidia-smi shows them, torch.cuda.max_memory_allocated
does not).
"""

from __future__ import annotations

from dataclasses import dataclass

from day3.core.errors import UserError

TERA = 1e12
GIB = 2**30


@dataclass(frozen=True)
class Hardware:
    name: str
    about: str
    peak_flops: dict[str, float]  # by compute dtype: "fp32", "bf16", "fp16"; FLOP/s
    memory_bytes: int | None  # on-device memory; None: the host's RAM (read when asked)
    runtime_bytes: int  # the fixed baseline: libraries (CPU) or the CUDA context (GPU)
    source: str
    is_gpu: bool = True

    def flops_for(self, compute_dtype: str) -> float:
        """Peak FLOP/s for matmuls in `compute_dtype`; a UserError if the chip lacks it."""
        peak = self.peak_flops.get(compute_dtype)
        if peak is None:
            have = ", ".join(self.peak_flops)
            raise UserError(
                f"{self.name} has no {compute_dtype} math ({self.about}); use a precision it "
                f"runs ({have}), or another --hardware"
            )
        return peak


def _gpu(name, about, fp32, half, bf16, memory_gb, source) -> Hardware:
    peaks = {"fp32": fp32 * TERA, "fp16": half * TERA}
    if bf16:
        peaks["bf16"] = bf16 * TERA
    runtime = int(0.5 * GIB)  # CUDA context + cuBLAS workspace, torch 2.x (typical)
    return Hardware(name, about, peaks, int(memory_gb * 1e9), runtime, source)


HARDWARE: dict[str, Hardware] = {
    "cpu": Hardware(
        "cpu",
        "the course machine: 2 cores, AVX-512 + AMX-BF16",
        {"fp32": 125e9, "bf16": 357e9},
        None,
        int(0.40 * GIB),
        "measured on the course machine: torch.matmul 4096x4096, 2 threads, torch 2.13",
        is_gpu=False,
    ),
    "t4": _gpu("t4", "NVIDIA T4 16 GB", 8.1, 65, None, 16, "NVIDIA T4 datasheet"),
    "v100": _gpu("v100", "NVIDIA V100 SXM2 32 GB", 15.7, 125, None, 32, "NVIDIA V100 datasheet"),
    "l4": _gpu("l4", "NVIDIA L4 24 GB", 30.3, 121, 121, 24, "NVIDIA L4 datasheet (242/2)"),
    "rtx4090": _gpu(
        "rtx4090", "GeForce RTX 4090 24 GB", 82.6, 165.2, 165.2, 24,
        "NVIDIA Ada GPU architecture whitepaper (FP16/BF16 tensor, FP32 accumulate)",
    ),
    "a100": _gpu(
        "a100", "NVIDIA A100 SXM 80 GB", 19.5, 312, 312, 80, "NVIDIA A100 datasheet"
    ),
    "h100": _gpu(
        "h100", "NVIDIA H100 SXM 80 GB", 67, 989.4, 989.4, 80,
        "NVIDIA H100 datasheet (SXM5; 1,979 with sparsity / 2)",
    ),
    "h200": _gpu(
        "h200", "NVIDIA H200 SXM 141 GB", 67, 989.4, 989.4, 141,
        "NVIDIA H200 datasheet (SXM; same compute as H100 SXM)",
    ),
}  # fmt: skip


def get_hardware(name: str) -> Hardware:
    hw = HARDWARE.get(str(name).lower())
    if hw is None:
        raise UserError(
            f"unknown hardware '{name}'; choose one of {', '.join(HARDWARE)} "
            "(the peak FLOP/s table is in day3/estimate/hardware.py)"
        )
    return hw


def host_memory_bytes() -> int | None:
    """This machine's RAM (Linux and macOS), for `--hardware cpu`."""
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None
