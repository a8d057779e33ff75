"""Presets: short experiments that each tell one thing about dropout, and prove it on the numbers.

A preset file (`assets/presets/NN_name.json`, NN its place in the menu) holds a title, a paragraph
for students, a config, an optional `compare` config (changes to the first, e.g. no dropout) that
the window can run alongside, and a `claim`: the name of a check below and its thresholds. The
check trains the preset headless for its own steps and says whether its numbers bear the
explanation out, so a preset cannot quietly stop showing what it says.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dropviz.model.config import Config
from dropviz.model.data.datasets import load_dataset
from dropviz.model.errors import ConfigError, DropvizError
from dropviz.model.monte_carlo import mc_curve
from dropviz.model.results import Evaluation, StepResult
from dropviz.model.sweeps import CancelledFn, ProgressFn, Ticker, trained
from dropviz.model.trainer import NetworkPool, Trainer

PRESETS_FOLDER = Path(__file__).resolve().parents[2] / "assets" / "presets"
PRESET_KEYS = {"title", "explanation", "config", "claim", "compare"}
REQUIRED_KEYS = ("title", "explanation", "config", "claim")
NAME_PATTERN = re.compile(r"^(\d+)_[A-Za-z0-9_]+\.json$")


@dataclass(frozen=True)
class Claim:
    check: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Preset:
    key: str  # the file name without .json, e.g. "01_overfit_tiny"
    title: str
    explanation: str
    config: Config
    claim: Claim
    compare: Config | None  # the preset's config with the file's `compare` changes applied

    def compare_changes(self) -> list[str]:
        """The settings in which the compare run differs, as `key=value`: a label for its curves."""
        if self.compare is None:
            return []
        return _differences(self.config.to_dict(), self.compare.to_dict(), "")


def _differences(first: dict, second: dict, prefix: str) -> list[str]:
    changes = []
    for key, value in second.items():
        if isinstance(value, dict):
            changes += _differences(first[key], value, f"{prefix}{key}.")
        elif first[key] != value:
            changes.append(f"{prefix}{key}={json.dumps(value)}")
    return changes


@dataclass(frozen=True)
class ClaimResult:
    passed: bool
    summary: str  # the measured numbers against the thresholds, in one or two sentences
    measured: dict[str, float] = field(default_factory=dict)


class _Runner:
    """Trains the runs a check asks for, with one pool and one progress count for them all."""

    def __init__(self, pool: NetworkPool, ticker: Ticker) -> None:
        self.pool = pool
        self.ticker = ticker

    @contextmanager
    def trained(self, config: Config,
                on_step: Callable[[StepResult], None] | None = None) -> Iterator[Trainer]:
        dataset = load_dataset(config.dataset, config.seed)
        with trained(config, self.pool, dataset, self.ticker, on_step) as trainer:
            yield trainer

    def final(self, config: Config) -> Evaluation:
        with self.trained(config) as trainer:
            return trainer.evaluate()


CheckFn = Callable[..., ClaimResult]


@dataclass(frozen=True)
class _Check:
    function: CheckFn
    needs_compare: bool


def _verdict(conditions: list[tuple[bool, str]], measured: dict[str, float]) -> ClaimResult:
    """Passed when every condition holds; the summary lists each, marking the ones that failed."""
    parts = [text if ok else f"FAILED: {text}" for ok, text in conditions]
    return ClaimResult(all(ok for ok, _ in conditions), "; ".join(parts) + ".", measured)


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, infinite when the denominator is not positive (no division error)."""
    return numerator / denominator if denominator > 0 else math.inf


def overfits(preset: Preset, runner: _Runner, *, max_train_loss: float, min_loss_ratio: float,
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


def smaller_gap(preset: Preset, runner: _Runner, *, max_gap_ratio: float) -> ClaimResult:
    """With dropout (the preset) the gap is a fraction of the gap without it (the compare run)."""
    with_dropout, without = runner.final(preset.config), runner.final(preset.compare)
    ratio = _ratio(with_dropout.gap, without.gap)
    return _verdict([
        (without.gap > 0, f"without dropout the network overfits (gap {without.gap:.3f})"),
        (ratio < max_gap_ratio, f"with dropout the gap is {with_dropout.gap:.3f}, {ratio:.2f} of it "
                                f"(needs below {max_gap_ratio:g})"),
    ], {"gap": with_dropout.gap, "compare_gap": without.gap, "gap_ratio": ratio})


def underfits(preset: Preset, runner: _Runner, *, min_train_loss_increase: float,
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


def _test_outputs(runner: _Runner, config: Config) -> tuple[np.ndarray, np.ndarray, Evaluation]:
    """Test-time probabilities and logits on the test split, and the final evaluation."""
    with runner.trained(config) as trainer:
        probs, logits = trainer.network.predict(trainer.dataset.X_test)
        return probs, logits, trainer.evaluate()


def same_predictions(preset: Preset, runner: _Runner, *, min_agreement: float,
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


def overconfident_without_compensation(preset: Preset, runner: _Runner, *, min_loss_ratio: float,
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


def per_batch_noisier(preset: Preset, runner: _Runner, *, min_noise_ratio: float) -> ClaimResult:
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


def mc_converges(preset: Preset, runner: _Runner, *, large_ks: list[int], tolerance: float,
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


def helps_test_accuracy(preset: Preset, runner: _Runner, *, min_accuracy_gain: float,
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


CHECKS: dict[str, _Check] = {
    "overfits": _Check(overfits, needs_compare=False),
    "smaller_gap": _Check(smaller_gap, needs_compare=True),
    "underfits": _Check(underfits, needs_compare=True),
    "same_predictions": _Check(same_predictions, needs_compare=True),
    "overconfident_without_compensation": _Check(overconfident_without_compensation, needs_compare=True),
    "per_batch_noisier": _Check(per_batch_noisier, needs_compare=True),
    "mc_converges": _Check(mc_converges, needs_compare=False),
    "helps_test_accuracy": _Check(helps_test_accuracy, needs_compare=True),
}


def check_claim(preset: Preset, pool: NetworkPool | None = None, progress: ProgressFn | None = None,
                cancelled: CancelledFn | None = None) -> ClaimResult:
    """Train the preset (and its compare run) for their steps and test the claim on the numbers.

    Progress counts training steps of both runs; cancelling raises `sweeps.Cancelled`.
    """
    total = preset.config.steps + (preset.compare.steps if preset.compare is not None else 0)
    runner = _Runner(pool or NetworkPool(), Ticker(total, progress, cancelled))
    return CHECKS[preset.claim.check].function(preset, runner, **preset.claim.params)


def load_presets(folder: Path = PRESETS_FOLDER) -> list[Preset]:
    """Every preset of the folder in menu order; the first bad file raises ConfigError naming it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"no presets folder at {folder}")
    ordered = []
    for path in folder.glob("*.json"):
        match = NAME_PATTERN.match(path.name)
        if match is None:
            raise ConfigError(f"preset {path.name}: the name must be a number, an underscore and a "
                              "name, e.g. 01_overfit_tiny.json (the number orders the menu)")
        ordered.append((int(match.group(1)), path.name, path))
    return [load_preset(path) for _, _, path in sorted(ordered)]


def load_preset(path: Path) -> Preset:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read preset {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"preset {path.name}: not valid JSON: {error.msg} at line {error.lineno}") from None
    try:
        return _preset(Path(path).stem, data)
    except DropvizError as error:
        raise ConfigError(f"preset {path.name}: {error}") from None


def _preset(key: str, data: Any) -> Preset:
    if not isinstance(data, dict):
        raise ConfigError("a preset is a JSON object with " + ", ".join(REQUIRED_KEYS))
    missing = [name for name in REQUIRED_KEYS if name not in data]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}; a preset needs {', '.join(REQUIRED_KEYS)}")
    unknown = sorted(set(data) - PRESET_KEYS)
    if unknown:
        raise ConfigError(f"unknown {', '.join(unknown)}; allowed: {', '.join(sorted(PRESET_KEYS))}")
    for name in ("title", "explanation"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise ConfigError(f"{name} must be a non-empty text")
    config = Config.from_dict(data["config"])
    compare = _compare(config, data["compare"]) if "compare" in data else None
    claim = _claim(data["claim"], compare is not None)
    return Preset(key, data["title"].strip(), data["explanation"].strip(), config, claim, compare)


def _compare(config: Config, changes: Any) -> Config:
    if not isinstance(changes, dict):
        raise ConfigError("compare must be an object of settings that differ from config")
    try:
        return Config.from_dict(_merged(config.to_dict(), changes))
    except ConfigError as error:
        raise ConfigError(f"compare: {error}") from None


def _merged(base: dict, changes: dict) -> dict:
    """base with changes applied, nested objects merged key by key rather than replaced."""
    merged = dict(base)
    for key, value in changes.items():
        both_objects = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = _merged(base[key], value) if both_objects else value
    return merged


def _claim(data: Any, has_compare: bool) -> Claim:
    if not isinstance(data, dict) or not isinstance(data.get("check"), str):
        raise ConfigError('claim must be an object with "check" (the name of a check) and its thresholds')
    params = {key: value for key, value in data.items() if key != "check"}
    check = CHECKS.get(data["check"])
    if check is None:
        raise ConfigError(f"claim: unknown check {data['check']!r}; known: {', '.join(CHECKS)}")
    wanted = list(inspect.signature(check.function).parameters)[2:]  # after preset and runner
    if sorted(params) != sorted(wanted):
        raise ConfigError(f"claim {data['check']!r} takes {', '.join(wanted)}; the file gives "
                          f"{', '.join(sorted(params)) or 'none'}")
    for name, value in params.items():
        _check_param(name, value)
    if check.needs_compare and not has_compare:
        raise ConfigError(f"claim {data['check']!r} compares two runs; add a compare object")
    return Claim(data["check"], params)


def _check_param(name: str, value: Any) -> None:
    """Thresholds are numbers; a list (such as sample counts) holds integers from 1."""
    def is_number(item: Any) -> bool:
        return isinstance(item, int | float) and not isinstance(item, bool) and np.isfinite(item)

    if isinstance(value, list):
        if value and all(is_number(item) and item == int(item) and item >= 1 for item in value):
            return
        raise ConfigError(f"claim: {name} must be a list of integers from 1, not {value!r}")
    if not is_number(value):
        raise ConfigError(f"claim: {name} must be a number, not {value!r}")
