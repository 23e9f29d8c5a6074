"""partages-bench: benchmark suite and evaluation harness for French medical language models."""

__version__ = "0.1.0"
