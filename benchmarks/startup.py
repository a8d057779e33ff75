"""Compile and start-up times, run as a child process so that imports and caches start cold.

`python benchmarks/startup.py [--scan]` builds a Trainer on the app's default settings and prints,
as JSON, seconds since the parent started it (passed in BENCH_T0) for: the imports, the Trainer
built (its functions compiled), the first step, and with --scan the first `run_steps` (its scan
compiled). The parent points PYTENSOR_FLAGS at an empty folder for a cold cache, or at the same
folder again for a warm one.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    started = float(os.environ["BENCH_T0"])
    times = {}
    from dropviz.model.config import Config
    from dropviz.model.trainer import Trainer

    times["imports"] = time.time() - started
    trainer = Trainer(Config())
    times["trainer_built"] = time.time() - started
    trainer.step()
    times["first_step"] = time.time() - started
    if "--scan" in sys.argv:
        trainer.run_steps(1)
        times["first_run_steps"] = time.time() - started
    print(json.dumps(times))


if __name__ == "__main__":
    main()
