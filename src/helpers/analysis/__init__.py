"""The analyses: each makes rows of the run's analysis results (ARD), never formats."""
