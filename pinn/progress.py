"""A live progress bar for training, driven by :func:`pinn.solve`'s ``callback(row)``.

::

    with TrainingProgress(config.steps + config.lbfgs_steps) as progress:
        result = pinn.solve(problem, model, config, callback=progress)

It shows the step, the phase, the loss, the latest error and tqdm's rate and ETA.
By default it is on only when standard output is a terminal, so logs and pipes stay
quiet.
"""

from __future__ import annotations

import math
import sys

from tqdm.auto import tqdm

PHASES = {"adam": "Adam", "lbfgs": "L-BFGS"}


class TrainingProgress:
    """A tqdm bar updated from history rows (``step``, ``phase``, ``loss``, ``rel_l2``).

    Args:
        total: total number of steps (Adam plus L-BFGS).
        enabled: show the bar; ``None`` (default) shows it when stdout is a terminal.
        desc: text before the bar (e.g. the problem name).
    """

    def __init__(self, total: int, enabled: bool | None = None, desc: str = ""):
        if enabled is None:
            enabled = sys.stdout.isatty()
        self.enabled = bool(enabled)
        self.error = math.nan
        self.bar = tqdm(
            total=total,
            desc=desc,
            unit="step",
            disable=not self.enabled,
            file=sys.stdout,
            dynamic_ncols=True,
            leave=True,
        )

    def __call__(self, row: dict) -> None:
        if not self.enabled:
            return
        error = row.get("rel_l2", math.nan)
        if error is not None and math.isfinite(error):
            self.error = error
        postfix = {"phase": PHASES.get(row.get("phase"), row.get("phase", "")), "loss": f"{row.get('loss', math.nan):.3e}"}
        if math.isfinite(self.error):
            postfix["rel_l2"] = f"{self.error:.2e}"
        # Steps may go back (a non-finite loss restores an earlier state): set, not add.
        self.bar.n = int(row.get("step", self.bar.n))
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> "TrainingProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
