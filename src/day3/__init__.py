"""day3: the Applications and Fine-tuning day of an LLM course, as a library.

Importing `day3` does no work: no network, no Hugging Face import. Entry points (the `day3`
command, every lesson) call `day3.configure()` first, which decides online/offline once and
tells every Hugging Face library, before any of them is imported. A notebook does the same:

    import day3
    day3.configure()

Heavy modules (torch, transformers) are imported lazily, on first use of a name below.
"""

__version__ = "0.1.0"

_LAZY = {
    "configure": "day3.core.env",
    "UserError": "day3.core.errors",
    "DataSpec": "day3.data.classification",
    "load_classification": "day3.data.classification",
    "resolve_model": "day3.models.catalogue",
    "StrategyConfig": "day3.classifier.strategies",
    "apply_strategy": "day3.classifier.strategies",
    "count_parameters": "day3.classifier.strategies",
    "ClassifierJob": "day3.classifier.train",
    "run_classifier_job": "day3.classifier.run",
    "embedded_sentiment_job": "day3.classifier.run",
    "compare_strategies": "day3.compare.run",
    "pick_device": "day3.core.device",
    "evaluate_classifier": "day3.classifier.evaluate",
    "load_classifier_folder": "day3.classifier.predict",
    "predict": "day3.classifier.predict",
}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'day3' has no attribute {name!r}")
