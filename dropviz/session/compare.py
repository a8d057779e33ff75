"""The baseline that trains alongside the run: which settings it changes, and how runs are named.

A baseline may differ from the run it is compared with only in settings that leave the network's
graph alone (dropout rates, scaling, mask shape, learning rate, ...). Then both are built from one
seed: the same data, the same initial weights and the same minibatch order, so the difference
between their curves is the doing of those settings alone. The spec is kept apart from the run's
config, so a new dataset or network shape rebuilds the baseline with its own settings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from dropviz.model.config import LIVE_KEYS, Config, DropoutConfig
from dropviz.model.errors import ConfigError
from dropviz.model.presets import Preset
from dropviz.session.changes import describe_live_change

SCALING_NAMES = {"inverted": "inverted", "weight_scaling": "weight scaling", "none": "no scaling"}
# Keys a baseline may set: the live ones, except the run's length, which the baseline shares.
SPEC_KEYS = tuple(key for key in LIVE_KEYS if key != "steps")


@dataclass(frozen=True)
class CompareSpec:
    """What the baseline changes: (key, value) pairs of SPEC_KEYS, and a label for its curves."""

    settings: tuple[tuple[str, Any], ...]
    label: str

    def __post_init__(self) -> None:
        unknown = [key for key, _ in self.settings if key not in SPEC_KEYS]
        if unknown:
            raise ConfigError(f"a baseline cannot change {', '.join(unknown)}: that needs a "
                              "network of another shape; it may change " + ", ".join(SPEC_KEYS))


NO_DROPOUT = CompareSpec((("dropout", DropoutConfig(input=0.0, hidden=0.0)),), "no dropout")


def compare_config(main: Config, spec: CompareSpec) -> Config:
    """The baseline's config: the run's, with the spec's settings.

    Per-layer hidden rates that no longer fit the run's layers shrink to their first rate. The
    dropout kind is the run's: it fixes the graph, so a baseline of another kind could not train
    beside the run from the same initial weights.
    """
    settings = dict(spec.settings)
    dropout = settings.get("dropout")
    if isinstance(dropout, DropoutConfig):
        dropout = settings["dropout"] = replace(dropout, kind=main.dropout.kind)
    if isinstance(dropout, DropoutConfig) and isinstance(dropout.hidden, tuple) \
            and len(dropout.hidden) != len(main.hidden_layers):
        settings["dropout"] = replace(dropout, hidden=dropout.hidden[0])
    return replace(main, **settings)


def spec_between(main: Config, baseline: Config) -> CompareSpec:
    """The spec that turns `main` into `baseline`, labelled by what it changes.

    ConfigError if their networks differ, since then they cannot share initial weights.
    """
    if main.needs_new_network(baseline):
        raise ConfigError("the two runs need networks of different shapes or data, so they "
                          "cannot train from the same initial weights")
    settings = tuple((key, getattr(baseline, key)) for key in SPEC_KEYS
                     if getattr(baseline, key) != getattr(main, key))
    label = (NO_DROPOUT.label if not any(baseline.dropout_rates)
             else describe_live_change(main, baseline) or "the same settings")
    return CompareSpec(settings, label)


def preset_spec(preset: Preset) -> CompareSpec | None:
    """A preset's compare run as a baseline; None if it has none."""
    if preset.compare is None:
        return None
    return spec_between(preset.config, preset.compare)


def _rate(value: float | tuple[float, ...]) -> str:
    if isinstance(value, tuple):
        return "/".join(f"{rate:g}" for rate in value)
    return f"{value:g}"


def run_label(config: Config) -> str:
    """Short words for a run's dropout, for legends: "p=0.5 inverted", "p=0.5, input 0.2 none";
    a recurrent run's adds its carried-state rate and time mask: "p=0.5, state 0.5 tied inverted"."""
    text = f"p={_rate(config.dropout.hidden)}"
    if config.dropout.input:
        text += f", input {config.dropout.input:g}"
    if config.recurrent:
        text += f", state {config.dropout.recurrent:g} {config.dropout.time_mask.replace('_', '-')}"
    return f"{text} {SCALING_NAMES[config.scaling]}"
