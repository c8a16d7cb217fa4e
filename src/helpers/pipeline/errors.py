"""The error of a run that stopped: raised by any step, it names the step and why."""


class RunError(RuntimeError):
    """A step failed; the message names the step and why."""
