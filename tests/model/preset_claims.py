"""The checks behind the presets' claims: each trains a preset headless and tests its numbers.

A preset file's `claim` names one of the checks below and gives its thresholds; the app only
carries the claim as data, and the tests train every shipped preset to show that its numbers
bear its explanation out, so a preset cannot quietly stop showing what it says. A check's
keyword parameters are the thresholds its claim must give, no more and no fewer.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from dropviz.model.config import Config
from dropviz.model.data.datasets import load_dataset
from dropviz.model.errors import ConfigError
from dropviz.model.monte_carlo import mc_curve
from dropviz.model.presets import Preset
from dropviz.model.results import Evaluation, StepResult
from dropviz.model.sweeps import CancelledFn, ProgressFn, Ticker, subsample
from dropviz.model.trainer import NetworkPool, Trainer
from dropviz.session.sweeps import trained


@dataclass(frozen=True)
class ClaimResult:
    passed: bool
    summary: str  # the measured numbers against the thresholds, in one or two sentences
    measured: dict[str, float] = field(default_factory=dict)


# Final evaluations of runs already trained in this test session, by their settings: a run is
# deterministic (the resume and sweep tests check it bit for bit), and two presets may share one
# (13 and 14 train the same tied GRU, on three seeds each).
_FINALS: dict[str, Evaluation] = {}


class Runner:
    """Trains the runs a check asks for, with one pool and one progress count for them all.

    With `reuse`, a run trained before in this session is not trained again (a check that
    follows progress or may be cancelled trains every run).
    """

    def __init__(self, pool: NetworkPool, ticker: Ticker, reuse: bool = False) -> None:
        self.pool = pool
        self.ticker = ticker
        self.reuse = reuse

    @contextmanager
    def trained(self, config: Config,
                on_step: Callable[[StepResult], None] | None = None) -> Iterator[Trainer]:
        dataset = load_dataset(config.dataset, config.seed)
        with trained(config, self.pool, dataset, self.ticker, on_step) as trainer:
            yield trainer

    def final(self, config: Config) -> Evaluation:
        key = config.to_json()
        if self.reuse and key in _FINALS:
            return _FINALS[key]
        with self.trained(config) as trainer:
            _FINALS[key] = trainer.evaluate()
        return _FINALS[key]


CheckFn = Callable[..., ClaimResult]


@dataclass(frozen=True)
class Check:
    function: CheckFn
    needs_compare: bool


def _verdict(conditions: list[tuple[bool, str]], measured: dict[str, float]) -> ClaimResult:
    """Passed when every condition holds; the summary lists each, marking the ones that failed."""
    parts = [text if ok else f"FAILED: {text}" for ok, text in conditions]
    return ClaimResult(all(ok for ok, _ in conditions), "; ".join(parts) + ".", measured)


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, infinite when the denominator is not positive (no division error)."""
    return numerator / denominator if denominator > 0 else math.inf


def overfits(preset: Preset, runner: Runner, *, max_train_loss: float, min_loss_ratio: float,
             min_gap: float) -> ClaimResult:
    """The network learns its few training points by heart and does much worse on new ones."""
    e = runner.final(preset.config)
    ratio = _ratio(e.test_loss, e.train_loss)
    return _verdict([
        (e.train_loss < max_train_loss, f"train loss {e.train_loss:.4f} below {max_train_loss:g}"),
        (ratio > min_loss_ratio, f"test loss {e.test_loss:.3f} is {ratio:.0f}x the train loss "
                                 f"(needs more than {min_loss_ratio:g}x)"),
        (e.gap >= min_gap, f"gap {e.gap:.3f} at least {min_gap:g}"),
    ], {"train_loss": e.train_loss, "test_loss": e.test_loss, "loss_ratio": ratio, "gap": e.gap})


def smaller_gap(preset: Preset, runner: Runner, *, max_gap_ratio: float) -> ClaimResult:
    """With dropout (the preset) the gap is a fraction of the gap without it (the compare run)."""
    with_dropout, without = runner.final(preset.config), runner.final(preset.compare)
    ratio = _ratio(with_dropout.gap, without.gap)
    return _verdict([
        (without.gap > 0, f"without dropout the network overfits (gap {without.gap:.3f})"),
        (ratio < max_gap_ratio, f"with dropout the gap is {with_dropout.gap:.3f}, {ratio:.2f} of it "
                                f"(needs below {max_gap_ratio:g})"),
    ], {"gap": with_dropout.gap, "compare_gap": without.gap, "gap_ratio": ratio})


def underfits(preset: Preset, runner: Runner, *, min_train_loss_increase: float,
              min_accuracy_drop: float) -> ClaimResult:
    """Too high a rate (the preset) fits the training data worse and predicts worse than a good one."""
    high, good = runner.final(preset.config), runner.final(preset.compare)
    increase = high.train_loss - good.train_loss
    drop = good.test_acc - high.test_acc
    return _verdict([
        (increase >= min_train_loss_increase,
         f"train loss {high.train_loss:.3f} versus {good.train_loss:.3f}, {increase:+.3f} "
         f"(needs at least +{min_train_loss_increase:g})"),
        (drop >= min_accuracy_drop,
         f"test accuracy {high.test_acc:.3f} versus {good.test_acc:.3f}, {drop:.3f} lower "
         f"(needs at least {min_accuracy_drop:g})"),
    ], {"train_loss_increase": increase, "accuracy_drop": drop})


def _test_outputs(runner: Runner, config: Config) -> tuple[np.ndarray, np.ndarray, Evaluation]:
    """Test-time probabilities and logits on the test split, and the final evaluation."""
    with runner.trained(config) as trainer:
        probs, logits = trainer.network.predict(trainer.dataset.X_test)
        return probs, logits, trainer.evaluate()


def same_predictions(preset: Preset, runner: Runner, *, min_agreement: float,
                     max_mean_difference: float) -> ClaimResult:
    """Two scaling modes, same seed and masks: near enough the same answers, though not the same net."""
    probs_a, _, _ = _test_outputs(runner, preset.config)
    probs_b, _, _ = _test_outputs(runner, preset.compare)
    agreement = float(np.mean(probs_a.argmax(axis=1) == probs_b.argmax(axis=1)))
    difference = float(np.mean(np.abs(probs_a - probs_b).max(axis=1)))
    return _verdict([
        (agreement >= min_agreement, f"the two networks predict the same class for {agreement:.1%} "
                                     f"of the test points (needs {min_agreement:.0%})"),
        (difference <= max_mean_difference,
         f"their probabilities differ by {difference:.3f} on average (at most {max_mean_difference:g})"),
    ], {"agreement": agreement, "mean_difference": difference})


def overconfident_without_compensation(preset: Preset, runner: Runner, *, min_loss_ratio: float,
                                       min_logit_ratio: float,
                                       max_accuracy_change: float) -> ClaimResult:
    """No scaling (the preset) versus inverted dropout (compare): same answers, far too sure of them."""
    _, logits_none, none = _test_outputs(runner, preset.config)
    _, logits_inv, inverted = _test_outputs(runner, preset.compare)
    loss_ratio = _ratio(none.test_loss, inverted.test_loss)
    logit_ratio = _ratio(float(np.abs(logits_none).mean()), float(np.abs(logits_inv).mean()))
    change = abs(none.test_acc - inverted.test_acc)
    return _verdict([
        (logit_ratio >= min_logit_ratio, f"test-time outputs (logits) {logit_ratio:.1f}x as large "
                                         f"(needs {min_logit_ratio:g}x)"),
        (loss_ratio >= min_loss_ratio, f"test loss {none.test_loss:.3f} versus {inverted.test_loss:.3f}, "
                                       f"{loss_ratio:.1f}x (needs {min_loss_ratio:g}x)"),
        (change <= max_accuracy_change, f"test accuracy {none.test_acc:.3f} versus "
                                        f"{inverted.test_acc:.3f} (within {max_accuracy_change:g})"),
    ], {"logit_ratio": logit_ratio, "loss_ratio": loss_ratio, "accuracy_change": change})


class _StepLog:
    """Step losses, and whether every step's keep-masks were the same in every row."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.rows_identical = True

    def __call__(self, result: StepResult) -> None:
        self.losses.append(result.loss)
        for mask in result.masks.values():
            self.rows_identical &= bool((mask == mask[:1]).all())

    def noise(self) -> float:
        """Step-to-step jumps of the loss over the second half: its trend removed, its noise left."""
        tail = np.array(self.losses[len(self.losses) // 2:])
        return float(np.diff(tail).std())


def per_batch_noisier(preset: Preset, runner: Runner, *, min_noise_ratio: float) -> ClaimResult:
    """One mask for the whole batch (the preset) versus one per example (compare)."""
    logs = {}
    for name, config in (("per_batch", preset.config), ("per_example", preset.compare)):
        logs[name] = _StepLog()
        with runner.trained(config, logs[name]):
            pass
    ratio = _ratio(logs["per_batch"].noise(), logs["per_example"].noise())
    return _verdict([
        (logs["per_batch"].rows_identical, "per batch, every row of every step had the same mask"),
        (not logs["per_example"].rows_identical, "per example, rows had masks of their own"),
        (ratio >= min_noise_ratio, f"the step loss jumps {ratio:.1f}x as much per batch "
                                   f"(needs {min_noise_ratio:g}x)"),
    ], {"noise_ratio": ratio})


def mc_converges(preset: Preset, runner: Runner, *, large_ks: list[int], tolerance: float,
                 min_single_pass_excess: float) -> ClaimResult:
    """Averaging many dropout passes reaches the weight-scaled network's error; one pass does worse."""
    with runner.trained(preset.config) as trainer:
        data = trainer.dataset
        curve = mc_curve(trainer, data.X_test, data.y_test, ks=sorted({1, *large_ks}))
    excess = dict(zip(curve.ks.tolist(), (curve.error - curve.deterministic_error).tolist(), strict=True))
    worst = max(abs(excess[k]) for k in large_ks)
    return _verdict([
        (excess[1] >= min_single_pass_excess,
         f"one pass errs on {excess[1]:+.3f} more of the test set than weight scaling "
         f"({curve.deterministic_error:.3f}; needs +{min_single_pass_excess:g})"),
        (worst <= tolerance, f"the mean of {', '.join(map(str, large_ks))} passes is within "
                             f"{worst:.3f} of it (tolerance {tolerance:g})"),
    ], {"single_pass_excess": excess[1], "large_k_difference": worst})


def helps_test_accuracy(preset: Preset, runner: Runner, *, min_accuracy_gain: float,
                        min_train_accuracy: float) -> ClaimResult:
    """Both runs learn the training set by heart; the one with dropout (the preset) generalises better.

    Judged on accuracy, not on the loss gap: on digits a few confident mistakes decide the test
    loss, and whether dropout shrinks that gap changes from seed to seed.
    """
    with_dropout, without = runner.final(preset.config), runner.final(preset.compare)
    gain = with_dropout.test_acc - without.test_acc
    train_accuracy = min(with_dropout.train_acc, without.train_acc)
    return _verdict([
        (train_accuracy >= min_train_accuracy,
         f"both runs fit the training set (train accuracy at least {train_accuracy:.3f}; "
         f"needs {min_train_accuracy:g})"),
        (gain >= min_accuracy_gain,
         f"test accuracy {with_dropout.test_acc:.3f} with dropout versus {without.test_acc:.3f} "
         f"without, {gain:+.3f} (needs {min_accuracy_gain:+g})"),
    ], {"accuracy_gain": gain, "train_accuracy": train_accuracy})


def max_norm_trains(preset: Preset, runner: Runner, *, min_test_accuracy: float,
                    max_compare_test_accuracy: float) -> ClaimResult:
    """At a learning rate this high, the run with max-norm (the preset) learns and the same run
    without it (compare) does not: its units die or its weights blow up."""
    limited, free = runner.final(preset.config), runner.final(preset.compare)
    free_accuracy = free.test_acc if free.is_finite() else 0.0
    return _verdict([
        (limited.test_acc >= min_test_accuracy,
         f"with max-norm, test accuracy {limited.test_acc:.3f} (needs {min_test_accuracy:g})"),
        (free_accuracy <= max_compare_test_accuracy,
         f"without it, {free.test_acc:.3f}{'' if free.is_finite() else ' (diverged)'} "
         f"(needs at most {max_compare_test_accuracy:g})"),
    ], {"test_accuracy": limited.test_acc, "compare_test_accuracy": free_accuracy})


def helps_small_training_sets(preset: Preset, runner: Runner, *, train_size: int,
                              min_accuracy_gain: float) -> ClaimResult:
    """On the first `train_size` training examples (the size sweep's subset), the run with dropout
    (the preset) recognises more of the test set than the run without it (compare)."""
    accuracies = []
    for config in (preset.config, preset.compare):
        data = subsample(load_dataset(config.dataset, config.seed), int(train_size), config.seed)
        with trained(config, runner.pool, data, runner.ticker) as trainer:
            accuracies.append(trainer.evaluate().test_acc)
    gain = accuracies[0] - accuracies[1]
    return _verdict([
        (gain >= min_accuracy_gain,
         f"on {int(train_size)} examples, test accuracy {accuracies[0]:.3f} with dropout versus "
         f"{accuracies[1]:.3f} without, {gain:+.3f} (needs {min_accuracy_gain:+g})"),
    ], {"accuracy_gain": gain})


def close_test_accuracy(preset: Preset, runner: Runner, *, max_difference: float) -> ClaimResult:
    """The run (the preset) and the compare run end within `max_difference` of each other's test
    accuracy: a claim that a choice matters little here, with the numbers for each."""
    first, second = runner.final(preset.config), runner.final(preset.compare)
    difference = first.test_acc - second.test_acc
    return _verdict([
        (abs(difference) <= max_difference,
         f"test accuracy {first.test_acc:.3f} for this run versus {second.test_acc:.3f} for the "
         f"baseline ({', '.join(preset.compare_changes())}), {difference:+.3f} (needs at most "
         f"{max_difference:g} either way)"),
    ], {"accuracy_difference": difference})


CHECKS: dict[str, Check] = {
    "overfits": Check(overfits, needs_compare=False),
    "smaller_gap": Check(smaller_gap, needs_compare=True),
    "underfits": Check(underfits, needs_compare=True),
    "same_predictions": Check(same_predictions, needs_compare=True),
    "overconfident_without_compensation": Check(overconfident_without_compensation, needs_compare=True),
    "per_batch_noisier": Check(per_batch_noisier, needs_compare=True),
    "mc_converges": Check(mc_converges, needs_compare=False),
    "helps_test_accuracy": Check(helps_test_accuracy, needs_compare=True),
    "max_norm_trains": Check(max_norm_trains, needs_compare=True),
    "helps_small_training_sets": Check(helps_small_training_sets, needs_compare=True),
    "close_test_accuracy": Check(close_test_accuracy, needs_compare=True),
}


def check_known(preset: Preset) -> None:
    """Raise ConfigError, naming the preset, unless its claim names a check of CHECKS with exactly
    the thresholds that check takes, and has a compare run if the check compares two."""
    name, params = preset.claim.check, preset.claim.params
    check = CHECKS.get(name)
    if check is None:
        raise ConfigError(f"preset {preset.key}: claim: unknown check {name!r}; "
                          f"known: {', '.join(CHECKS)}")
    wanted = list(inspect.signature(check.function).parameters)[2:]  # after preset and runner
    if sorted(params) != sorted(wanted):
        raise ConfigError(f"preset {preset.key}: claim {name!r} takes {', '.join(wanted)}; "
                          f"the file gives {', '.join(sorted(params)) or 'none'}")
    if check.needs_compare and preset.compare is None:
        raise ConfigError(f"preset {preset.key}: claim {name!r} compares two runs; "
                          "add a compare object")


def check_claim(preset: Preset, pool: NetworkPool | None = None, progress: ProgressFn | None = None,
                cancelled: CancelledFn | None = None) -> ClaimResult:
    """Train the preset (and its compare run) for their steps and test the claim on the numbers.

    Progress counts training steps of both runs; cancelling raises `sweeps.Cancelled`. A claim
    that check_known refuses raises its ConfigError before any training.
    """
    check_known(preset)
    total = preset.config.steps + (preset.compare.steps if preset.compare is not None else 0)
    runner = Runner(pool or NetworkPool(), Ticker(total, progress, cancelled),
                    reuse=progress is None and cancelled is None)
    return CHECKS[preset.claim.check].function(preset, runner, **preset.claim.params)
