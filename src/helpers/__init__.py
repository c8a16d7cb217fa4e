"""REALITY study analysis helpers: load, validate, score, derive, analyse, report."""

__version__ = "0.1.0"
