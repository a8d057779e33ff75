"""The baseline the worker trains alongside its run: the one wanted, and its build.

What a baseline changes is a `CompareSpec` (session/compare.py); the two train in lockstep (session/
lockstep.py). A baseline joins its run at step 0 only, so both start from the same initial weights;
wanting one for a run further on starts the run again. Its trainer is built on a daemon thread like
a run's, and a baseline that is no longer wanted is kept aside so that the next one reuses its
compiled network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dropviz.model.errors import DropvizError
from dropviz.model.graph.architecture import Architecture
from dropviz.session.compare import CompareSpec, compare_config
from dropviz.session.lockstep import Lockstep
from dropviz.session.run import Run
from dropviz.ui.worker.build import RunBuild
from dropviz.ui.worker.owner import Owner
from dropviz.ui.worker.runs import POLL_MS

if TYPE_CHECKING:  # the trainer loads PyTensor (see build.py)
    from dropviz.model.trainer import Trainer


class BaselineBuilds:
    """The baseline wanted (None: none), the build under way, and a spare trainer to reuse."""

    def __init__(self, worker: Owner) -> None:
        self._worker = worker
        self.wanted: CompareSpec | None = None
        self.build: RunBuild | None = None
        self._spare: Trainer | None = None  # out of use, kept to reuse its network
        self._spec: CompareSpec | None = None  # of the baseline built or being built
        self._known: set[Architecture] = set()  # shapes compiled twice, for a baseline

    def want(self, spec: CompareSpec | None) -> None:
        """Train a baseline alongside, or stop; a baseline joins at step 0, so a run further on
        starts again, both from the same initial weights."""
        worker, playback = self._worker, self._worker.playback
        self.wanted = spec
        if playback.pair is None or worker.runs.build is not None or self.build is not None:
            return  # the run or baseline being built takes the spec in when it is ready
        if spec is None:
            if playback.pair.baseline is not None:
                self.start()
                if not playback.playing:
                    playback.publish(force_grid=True)
        elif playback.pair.step == 0 and playback.pair.baseline is None:
            self.start()
        else:
            worker.runs.start(worker.runs.config, f"comparing with a baseline ({spec.label}) "
                                                  "trained alongside")

    def retire(self, pair: Lockstep | None) -> None:
        """The pair's baseline, if any, leaves it and becomes the spare."""
        if pair is not None and pair.baseline is not None:
            if self._spare is not None:
                self._spare.close()
            self._spare, pair.baseline = pair.baseline.trainer, None

    def start(self) -> None:
        """Make the baseline match the wanted spec; the old one's network is reused if it can be."""
        worker = self._worker
        pair = worker.playback.pair
        self.retire(pair)
        old, self._spare = self._spare, None
        spec = self.wanted
        if spec is not None and pair.step > 0:
            self.wanted = spec = None
            worker.sigNotice.emit("The comparison is off: a baseline can only start together with "
                                  "the run, and this run is past step 0. Turn it on again to "
                                  "restart both.")
        if spec is None:
            if old is not None:
                old.close()
                worker.sigCompareChanged.emit("")
            return
        try:
            config = compare_config(worker.runs.config, spec)
        except DropvizError as error:
            self.wanted = None
            if old is not None:
                old.close()
            worker.sigCompareChanged.emit("")
            worker.fail(error)
            return
        self._spec = spec
        self.build = RunBuild(config, worker.runs.pool, old, self._known)
        worker.schedule(0)

    def poll(self) -> None:
        worker = self._worker
        message = self.build.next_message()
        if message is None:
            worker.schedule(POLL_MS / 1000)
            return
        if message[0] == "compiling":  # a second copy of the run's network: no news worth a banner
            worker.sigBusy.emit("Building the baseline... its network is compiled once.")
            worker.schedule(0)
            return
        self.build = None
        if message[0] == "failed":
            if message[2] is not None:
                message[2].close()
            self.wanted = None
            worker.sigCompareChanged.emit("")
            worker.fail(message[1])
        else:
            playback = worker.playback
            playback.pair.baseline = Run(message[1])
            playback.pace.forget_pace()
            if self.wanted == self._spec:
                worker.sigCompareChanged.emit(self.wanted.label)
                playback.publish(force_grid=True)
            else:  # the wish changed while it was being built
                self.start()
        worker.runs.apply_pending()
        worker.schedule(0)

    def close(self) -> None:
        """On closing: the build is discarded, the baseline and the spare closed."""
        if self.build is not None:
            self.build.cancel()
            self.build = None
        self.retire(self._worker.playback.pair)
        if self._spare is not None:
            self._spare.close()
            self._spare = None
