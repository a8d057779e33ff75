"""Setup strings: the settings, the preset and the baseline of a run as one short line of text.

A lecturer hands students the exact setup shown in class the way TensorFlow Playground does with
its URL: "Copy setup" puts `dropviz:...` on the clipboard, and "Open setup" or `dropviz --setup`
restores it on another machine. The text is URL-safe base64 (no padding) of

    version (1 byte) | raw deflate of compact JSON (zdict: ZDICT_V1) | checksum (6 bytes)

The JSON holds the whole Config as files carry it (`Config.to_dict`, every key, so that a later
version's new defaults cannot change what an old string means), the preset's key and the
baseline's settings and label. Deflating against a dictionary of what every setup repeats takes
the default setup from 328 characters (plain zlib) to 31, and the presets' to 43-92. The
checksum, the first bytes of SHA-256 over version and body, notices a string cut short or edited
by hand; whatever passes it is still checked as any experiment file is (`Config.from_dict`), so a
crafted string can set no value a file could not. A CSV dataset is refused both ways: its data is
a file on one machine, and a string from someone else must not make dropviz read a local path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

from dropviz.model.config import CSV_DATASET, Config, DropoutConfig, parse_json
from dropviz.model.errors import ConfigError
from dropviz.session.compare import CompareSpec, compare_config

PREFIX = "dropviz:"
VERSION = 1
CHECKSUM_BYTES = 6
MAX_TEXT = 4000  # characters; the longest real setup (8 layers, per-layer rates) is under 300
MAX_JSON = 16_000  # bytes once inflated: a small string must not inflate to gigabytes
# Never change: every version-1 string was deflated against exactly these bytes.
ZDICT_V1 = (
    b'{"config":{"dataset":{"name":"moons","n_samples":200,"noise":0.35,"train_fraction":0.3,'
    b'"csv_path":null,"label_column":null},"hidden_layers":[256,256],"activation":"relu",'
    b'"dropout":{"input":0.0,"hidden":0.5},"scaling":"inverted","mask":"per_example",'
    b'"optimizer":"adam","learning_rate":0.001,"batch_size":32,"l2":0.0,"seed":0,"steps":2000},'
    b'"preset":"02_dropout_closes_gap","compare":{"settings":{"dropout":{"input":0.0,'
    b'"hidden":0.0},"scaling":"weight_scaling","mask":"per_batch"},"label":"no dropout"}}'
)
CHANGED = ("this setup was changed or cut short after it was made (its checksum does not match): "
           "copy the whole text again")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_WHITESPACE = re.compile(r"\s+")


class SetupError(ConfigError):
    """A setup string that cannot be made or read; the message says why, for the user."""


@dataclass(frozen=True)
class Setup:
    """What a setup string restores: the settings, the preset shown, the baseline compared."""

    config: Config
    preset: str | None = None  # a preset's key, e.g. "02_dropout_closes_gap"
    compare: CompareSpec | None = None


# Keys added after version 1, left out at their defaults: a string without them means what it meant
# before they existed, and ZDICT_V1 does not know them, so writing them would lengthen every setup.
LATER_DEFAULTS = {("l1",): 0.0, ("max_norm",): None, ("dropout", "kind"): "bernoulli",
                  ("batch_norm",): "none", ("dataset", "drop_bad_rows"): False, ("model",): "mlp",
                  ("dropout", "recurrent"): 0.0, ("dropout", "time_mask"): "per_step",
                  ("dataset", "time_steps"): 1}


def _without_later_defaults(data: dict[str, Any]) -> dict[str, Any]:
    for *parents, leaf in LATER_DEFAULTS:
        target = data
        for part in parents:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict) and leaf in target \
                and target[leaf] == LATER_DEFAULTS[(*parents, leaf)]:
            del target[leaf]
    return data


def encode_setup(setup: Setup) -> str:
    """The setup as `dropviz:` and URL-safe text; SetupError for a run on a CSV file."""
    if setup.config.dataset.name == CSV_DATASET:
        raise SetupError("a setup carries settings, not data, and this run trains on a CSV file "
                         "of this computer: share it as a saved experiment (File > Save "
                         "experiment) instead")
    payload: dict[str, Any] = {"config": _without_later_defaults(setup.config.to_dict()),
                               "preset": setup.preset}
    if setup.compare is not None:  # it lists only what differs: a default there is a change
        payload["compare"] = {"settings": {key: _plain(value) for key, value in setup.compare.settings},
                              "label": setup.compare.label}
    data = json.dumps(payload, separators=(",", ":")).encode()
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=ZDICT_V1)
    body = bytes([VERSION]) + deflate.compress(data) + deflate.flush()
    text = base64.urlsafe_b64encode(body + _checksum(body)).decode().rstrip("=")
    return PREFIX + text


def decode_setup(text: str) -> Setup:
    """The setup a string holds; SetupError saying what is wrong with it otherwise.

    Whitespace is ignored (a mail program may wrap a long line), and so is a missing prefix.
    """
    text = _WHITESPACE.sub("", text)
    if text.lower().startswith(PREFIX):
        text = text[len(PREFIX):]
    if not text:
        raise SetupError("the setup is empty: paste the whole text that starts with dropviz:")
    if len(text) > MAX_TEXT:
        raise SetupError(f"not a dropviz setup: {len(text)} characters, far longer than a setup")
    if not _BASE64URL.match(text) or len(text) % 4 == 1:
        raise SetupError("not a dropviz setup: a setup has only letters, digits, - and _ after "
                         "dropviz:")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SetupError("not a dropviz setup: it does not decode") from None
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != text:
        # The last character's unused bits: a changed character must never pass unnoticed.
        raise SetupError(CHANGED)
    if len(raw) <= 1 + CHECKSUM_BYTES:
        raise SetupError("not a dropviz setup: too short to hold any settings")
    body, checksum = raw[:-CHECKSUM_BYTES], raw[-CHECKSUM_BYTES:]
    if body[0] != VERSION:
        raise SetupError(f"this setup was made by another version of dropviz (setup version "
                         f"{body[0]}; this one reads version {VERSION}): open it with that "
                         "version, or update dropviz")
    if checksum != _checksum(body):
        raise SetupError(CHANGED)
    return _setup(_inflate(body[1:]))


def _checksum(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()[:CHECKSUM_BYTES]


def _inflate(body: bytes) -> Any:
    inflate = zlib.decompressobj(-15, zdict=ZDICT_V1)
    try:
        data = inflate.decompress(body, MAX_JSON)
    except zlib.error:
        raise SetupError("not a usable setup: its settings do not read") from None
    if inflate.unconsumed_tail or not inflate.eof:
        raise SetupError("not a usable setup: its settings are too long or incomplete")
    try:
        return parse_json(data, "the setup")
    except (UnicodeDecodeError, ConfigError):
        raise SetupError("not a usable setup: its settings do not read") from None


def _setup(payload: Any) -> Setup:
    if not isinstance(payload, dict) or set(payload) - {"config", "preset", "compare"} \
            or "config" not in payload:
        raise SetupError("not a usable setup: it holds no settings")
    try:
        config = Config.from_dict(payload["config"])
    except ConfigError as error:
        raise SetupError(f"the setup's settings are not usable: {error}") from None
    if config.dataset.name == CSV_DATASET:
        raise SetupError("this setup names a CSV file, which a setup cannot carry: ask for the "
                         "saved experiment instead")
    preset = payload.get("preset")
    if preset is not None and not (isinstance(preset, str) and re.fullmatch(r"\w{1,80}", preset)):
        raise SetupError("the setup's preset is not a preset's name")
    compare = _compare(config, payload.get("compare"))
    return Setup(config, preset, compare)


def _compare(config: Config, data: Any) -> CompareSpec | None:
    if data is None:
        return None
    if not (isinstance(data, dict) and isinstance(data.get("settings"), dict)
            and isinstance(data.get("label"), str) and set(data) == {"settings", "label"}):
        raise SetupError("the setup's baseline is not usable")
    try:
        settings = tuple((key, DropoutConfig(**value) if key == "dropout" else value)
                         for key, value in data["settings"].items()
                         if key != "dropout" or isinstance(value, dict))
        if len(settings) != len(data["settings"]):
            raise ConfigError("dropout must be an object of rates")
        spec = CompareSpec(settings, data["label"][:200])
        compare_config(config, spec)  # the baseline's settings are checked as a Config's
    except (ConfigError, TypeError) as error:
        raise SetupError(f"the setup's baseline is not usable: {error}") from None
    return spec


def _plain(value: Any) -> Any:
    """A baseline setting as JSON holds it: a DropoutConfig as its dict, as in files; its
    recurrent rate and time mask only when a recurrent baseline sets them, as strings made before
    they existed have neither."""
    if isinstance(value, DropoutConfig):
        hidden = value.hidden
        plain = {"input": value.input, "hidden": list(hidden) if isinstance(hidden, tuple)
                 else hidden}
        if value.recurrent or value.time_mask != "per_step":
            plain.update(recurrent=value.recurrent, time_mask=value.time_mask)
        return plain
    return value
