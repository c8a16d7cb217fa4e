"""The run: params, steps, runner, kernels, provenance, commands."""
