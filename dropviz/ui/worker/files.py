"""Writing a run's files from the worker: its export folder or its experiment file.

What goes into them is the session layer's (run_record.py); this is when: paused first, so the
files, and the plots the window renders next, show one step. Opening an experiment runs on a
thread like a build (experiment_load.py, started by runs.py).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

from dropviz.model.errors import DropvizError
from dropviz.session.run_record import window_extra
from dropviz.ui.worker.jobs import user_message
from dropviz.ui.worker.owner import Owner


def write_files(worker: Owner, kind: str, path: str, write: Callable[..., list[Path]],
                markers: object) -> None:
    """`kind` is "export" or "save"; the window waits for one answer or the other."""
    playback = worker.playback
    if playback.pair is None:
        worker.sigFilesFailed.emit(kind, "There is no run to write yet: wait until it has started.")
        return
    try:
        if playback.stop():
            playback.publish(force_grid=True)
        run = playback.pair.run
        extra = window_extra(run.record, run.raster, run.last, playback.pace.speed, markers)
        paths = write(path, run.trainer, run.record, extra)
    except Exception as error:
        if not isinstance(error, DropvizError):
            traceback.print_exception(error)
        worker.sigFilesFailed.emit(kind, user_message(error))
        return
    worker.sigFilesWritten.emit(kind, path, paths)
