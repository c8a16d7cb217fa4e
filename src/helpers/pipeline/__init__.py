"""The run: params, steps (declared as data), runner, kernels, notebooks, content keys, progress,
render, provenance, commands, folders."""
