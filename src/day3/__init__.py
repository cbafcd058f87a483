"""day3: the Applications and Fine-tuning day of an LLM course, as a library.

Importing `day3` decides online/offline once (see `day3.env`) before any Hugging Face library
loads. Heavy modules (torch, transformers) are imported lazily, on first use of a name below.
"""

from day3 import env as _env

_env.configure()

__version__ = "0.1.0"

_LAZY = {
    "UserError": "day3.errors",
    "DataSpec": "day3.data",
    "load_classification": "day3.data",
    "resolve_model": "day3.models",
    "StrategyConfig": "day3.strategies",
    "apply_strategy": "day3.strategies",
    "count_parameters": "day3.strategies",
    "ClassifierJob": "day3.trainers",
    "run_classifier_job": "day3.trainers",
    "embedded_sentiment_job": "day3.trainers",
    "compare_strategies": "day3.compare",
    "pick_device": "day3.device",
    "evaluate_classifier": "day3.evaluation",
    "load_classifier_folder": "day3.inference",
    "predict": "day3.inference",
}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'day3' has no attribute {name!r}")
