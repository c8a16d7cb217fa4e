"""Selections and comparisons of a run's analysis results: key results, reproduction, run diff."""
