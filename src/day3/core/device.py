"""Device and dtype, chosen in one place. CPU is a first-class path, not a fallback.

bf16 autocast pays off on CPUs with native bf16 (AVX512-BF16 / AMX on x86, the `bf16` flag on
Arm) and on CUDA cards from Ampere on; elsewhere it emulates and is slower than fp32, so we
keep fp32 there. fp16 is never chosen automatically: T5 overflows in it.
"""

from __future__ import annotations

import platform
import resource
import sys
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from day3.core.errors import UserError

if TYPE_CHECKING:
    import torch


@cache
def cpu_has_native_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = f.read()
    except OSError:
        return platform.machine() == "arm64" and sys.platform == "darwin"
    return any(flag in flags for flag in (" avx512_bf16", " amx_bf16", " bf16"))


@dataclass(frozen=True)
class DeviceChoice:
    device: str  # "cuda" | "mps" | "cpu"
    bf16: bool  # run matmuls under bf16 autocast (weights stay fp32)

    @property
    def dtype(self) -> torch.dtype:
        import torch

        return torch.bfloat16 if self.bf16 else torch.float32

    def training_kwargs(self) -> dict:
        """The TrainingArguments fields this choice decides."""
        return {"use_cpu": self.device == "cpu", "bf16": self.bf16}

    def describe(self) -> str:
        import torch

        name = self.device
        if self.device == "cuda":
            name = f"cuda ({torch.cuda.get_device_name(0)})"
        elif self.device == "cpu":
            name = f"cpu ({torch.get_num_threads()} threads)"
        return f"{name}, {'bf16 autocast' if self.bf16 else 'fp32'}"


def pick_device(prefer: str = "auto", bf16: str | bool = "auto") -> DeviceChoice:
    """prefer: auto|cpu|cuda|mps. bf16: auto (use when native), True, or False."""
    import torch

    if prefer == "auto":
        if torch.cuda.is_available():
            prefer = "cuda"
        elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            prefer = "mps"
        else:
            prefer = "cpu"
    if prefer == "cuda" and not torch.cuda.is_available():
        raise UserError(
            "--device cuda was asked for but torch sees no CUDA device; use --device auto"
        )
    native = {
        "cuda": prefer == "cuda" and torch.cuda.is_bf16_supported(),
        "cpu": cpu_has_native_bf16(),
        "mps": False,
    }[prefer]
    use_bf16 = native if bf16 == "auto" else bool(bf16)
    return DeviceChoice(prefer, use_bf16)


def reset_peak_memory(choice: DeviceChoice) -> None:
    """Start a new peak. On Linux the process's peak resident size can be reset too, so that
    runs one after another in one process (a comparison) each get their own peak; memory
    freed by the previous run is first handed back to the OS, or it would count again."""
    import torch

    if choice.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        return
    if sys.platform.startswith("linux"):
        import ctypes
        import gc

        gc.collect()
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc keeps freed heap pages otherwise
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current resident size (Linux >= 4.0)
        except OSError:  # musl, or /proc read-only: the peak stays the whole process's
            pass


def peak_memory_mb(choice: DeviceChoice) -> float:
    """CUDA: peak allocated tensor memory. CPU: peak resident set size of the process (since
    the last reset_peak_memory on Linux; since the start elsewhere)."""
    import torch

    if choice.device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 if sys.platform != "darwin" else rss / 2**20
