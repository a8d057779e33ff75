"""Setup strings: every setup comes back exactly, and anything else is refused with a reason."""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

import pytest

from dropviz.model.config import Config, DatasetConfig, DropoutConfig
from dropviz.model.presets import load_presets
from dropviz.session.compare import NO_DROPOUT, CompareSpec, preset_spec
from dropviz.session.setup_string import (
    MAX_JSON,
    PREFIX,
    VERSION,
    ZDICT_V1,
    Setup,
    SetupError,
    _checksum,
    decode_setup,
    encode_setup,
)

URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def forged(payload: object, version: int = VERSION, raw: bytes | None = None) -> str:
    """A string made as encode_setup makes one, from any payload: what a crafted string can be."""
    data = raw if raw is not None else json.dumps(payload).encode()
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=ZDICT_V1)
    body = bytes([version]) + deflate.compress(data) + deflate.flush()
    return PREFIX + base64.urlsafe_b64encode(body + _checksum(body)).decode().rstrip("=")


@pytest.mark.parametrize("preset", load_presets(), ids=lambda preset: preset.key)
def test_every_preset_with_its_baseline_comes_back_exactly(preset):
    setup = Setup(preset.config, preset.key, preset_spec(preset))
    text = encode_setup(setup)
    assert text.startswith(PREFIX)
    assert set(text[len(PREFIX):]) <= URL_SAFE
    # 12_max_norm, naming a key ZDICT_V1 does not know twice: 122; the recurrent presets, naming
    # five (model, gru, digits_rows, recurrent, time_mask), the baseline some twice: 162
    assert len(text) < (170 if preset.config.recurrent else 130)
    assert decode_setup(text) == setup


def test_every_setting_travels_not_only_the_defaults():
    config = Config(dataset=DatasetConfig(name="spiral", n_samples=333, noise=0.123,
                                          train_fraction=0.55),
                    hidden_layers=(7, 9, 11), activation="tanh",
                    dropout=DropoutConfig(input=0.15, hidden=(0.1, 0.25, 0.4)),
                    scaling="weight_scaling", mask="per_batch", optimizer="momentum",
                    learning_rate=0.0123, batch_size=17, l2=0.0005, seed=4_000_000_000,
                    steps=12345)
    spec = CompareSpec((("dropout", DropoutConfig(input=0.0, hidden=(0.5, 0.5, 0.5))),
                        ("scaling", "none"), ("learning_rate", 0.5)), "my baseline")
    setup = Setup(config, None, spec)
    back = decode_setup(encode_setup(setup))
    assert back == setup
    assert back.config.to_dict() == config.to_dict()


def test_the_default_setup_is_short_and_wrapped_or_unprefixed_text_still_opens():
    text = encode_setup(Setup(Config(), "02_dropout_closes_gap", NO_DROPOUT))
    assert len(text) < 40
    body = text[len(PREFIX):]
    wrapped = f"  {PREFIX}{body[:10]}\n  {body[10:]}\n"
    assert decode_setup(wrapped) == decode_setup(body) == decode_setup(text)


def test_a_run_on_a_csv_file_is_not_a_setup():
    config = Config(dataset=DatasetConfig(name="csv", csv_path="/home/me/data.csv"))
    with pytest.raises(SetupError, match="CSV file"):
        encode_setup(Setup(config))
    with pytest.raises(SetupError, match="CSV file"):
        decode_setup(forged({"config": config.to_dict()}))


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"),
    ("dropviz:", "empty"),
    ("hello world, not a setup!", "only letters, digits"),
    ("dropviz:abc=", "only letters, digits"),
    ("dropviz:A", "only letters, digits"),
    ("dropviz:AAAA", "too short"),
    ("dropviz:" + "A" * 5000, "far longer"),
    ("https://example.org/?x=1", "only letters, digits"),
])
def test_malformed_text_is_refused_with_a_reason(text, reason):
    with pytest.raises(SetupError, match=reason):
        decode_setup(text)


def test_every_changed_or_dropped_character_is_noticed():
    text = encode_setup(Setup(Config(hidden_layers=(64,)), "01_overfit_tiny"))
    body = text[len(PREFIX):]
    for index, char in enumerate(body):
        for other in ("A", "z", "-"):
            if other != char:
                with pytest.raises(SetupError):
                    decode_setup(PREFIX + body[:index] + other + body[index + 1:])
        with pytest.raises(SetupError):
            decode_setup(PREFIX + body[:index] + body[index + 1:])
    with pytest.raises(SetupError, match="checksum"):
        decode_setup(text[:-4])


def test_another_version_says_so():
    with pytest.raises(SetupError, match="setup version 2"):
        decode_setup(forged({"config": {}}, version=2))


@pytest.mark.parametrize(("payload", "reason"), [
    ([1, 2], "holds no settings"),
    ({"preset": "01_overfit_tiny"}, "holds no settings"),
    ({"config": {}, "extra": 1}, "holds no settings"),
    ({"config": {"scaling": "magic"}}, "settings are not usable: scaling"),
    ({"config": {"hidden_layers": [10**9]}}, "settings are not usable: hidden_layers"),
    ({"config": {}, "preset": "../../etc/passwd"}, "not a preset's name"),
    ({"config": {}, "compare": {"settings": {"hidden_layers": [3]}, "label": "x"}},
     "baseline is not usable: a baseline cannot change hidden_layers"),
    ({"config": {}, "compare": {"settings": {"scaling": "magic"}, "label": "x"}},
     "baseline is not usable: scaling"),
    ({"config": {}, "compare": {"settings": {"dropout": {"rate": 1}}, "label": "x"}},
     "baseline is not usable"),
    ({"config": {}, "compare": {"settings": {"dropout": 0.5}, "label": "x"}},
     "baseline is not usable"),
    ({"config": {}, "compare": "no dropout"}, "baseline is not usable"),
])
def test_a_well_formed_string_with_unusable_settings_is_refused(payload, reason):
    with pytest.raises(SetupError, match=reason):
        decode_setup(forged(payload))


def test_a_string_that_inflates_to_too_much_is_refused_without_inflating_it_all():
    bomb = b'{"config":{},"preset":"' + b"a" * (MAX_JSON * 100) + b'"}'
    text = forged(None, raw=bomb)
    assert len(text) < 4000
    with pytest.raises(SetupError, match="too long"):
        decode_setup(text)


def test_a_body_that_is_not_deflate_or_json_is_refused():
    for raw_body in (b"\xff\xfe\xfd\xfc", zlib.compress(b"not json")[2:-4]):
        body = bytes([VERSION]) + raw_body
        text = PREFIX + base64.urlsafe_b64encode(body + _checksum(body)).decode().rstrip("=")
        with pytest.raises(SetupError, match=r"do not read|too long or incomplete"):
            decode_setup(text)


def test_the_readme_example_is_the_preset_it_names():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"`(dropviz:[A-Za-z0-9_-]+)` \(the preset \"Dropout closes the gap\"",
                        readme).group(1)
    preset = next(p for p in load_presets() if p.key == "02_dropout_closes_gap")
    assert example == encode_setup(Setup(preset.config, preset.key, preset_spec(preset)))
