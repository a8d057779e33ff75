"""Config: JSON round trip, overrides as typed on the command line, and messages for bad values."""

import json

import pytest

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError


def test_json_round_trip_keeps_every_setting():
    config = Config().with_overrides([
        "dataset.name=csv", "dataset.csv_path=data/x.csv", "dataset.label_column=species",
        "hidden_layers=[32,16,8]", "dropout.hidden=[0.1,0.2,0.3]", "dropout.input=0.2",
        "scaling=weight_scaling", "mask=per_batch", "optimizer=momentum", "learning_rate=0.05",
        "batch_size=7", "l2=0.001", "seed=42", "steps=10", "activation=tanh", "l1=0.002",
        "max_norm=3.5", "dropout.kind=gaussian"])
    again = Config.from_json(config.to_json())
    assert again == config
    data = json.loads(config.to_json())
    assert data["dropout"] == {"input": 0.2, "hidden": [0.1, 0.2, 0.3], "kind": "gaussian",
                               "recurrent": 0.0, "time_mask": "per_step"}
    assert (data["l1"], data["max_norm"]) == (0.002, 3.5)
    assert data["dataset"]["label_column"] == "species"
    assert data["hidden_layers"] == [32, 16, 8]


def test_file_keys_are_the_documented_names(tmp_path):
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps({"dataset": {"name": "xor", "noise": 0.1}, "hidden_layers": [8],
                                "dropout": {"hidden": 0.3}, "scaling": "none", "steps": 50}))
    config = Config.load(path)
    assert (config.dataset.name, config.dataset.noise, config.hidden_layers) == ("xor", 0.1, (8,))
    assert config.dropout_rates == (0.0, 0.3)
    assert config.dropout_layer_names == ("input", "hidden1")
    assert config.scaling == "none" and config.steps == 50


@pytest.mark.parametrize(("assignment", "message"), [
    ("scaling=fast", "scaling: 'fast' is not allowed; expected one of weight_scaling, inverted, none"),
    ("mask=row", "mask: 'row' is not allowed; expected one of per_example, per_batch"),
    ("dropout.hidden=1", "dropout.hidden: 1 is not allowed; expected a number from 0.0, below 1.0"),
    ("dropout.input=-0.1", "dropout.input"),
    ("dropout.hidden=[0.5]", "one rate, or 2 rates"),
    ("activation=gelu", "one of relu, tanh, sigmoid"),
    ("optimizer=rmsprop", "one of sgd, momentum, adam"),
    ("batch_size=0", "batch_size: 0 is not allowed; expected an integer"),
    ("batch_size=2.5", "batch_size"),
    ("hidden_layers=[]", "hidden_layers"),
    ("learning_rate=nan", "learning_rate"),
    ("dataset.name=mnist", "dataset.name: 'mnist' is not allowed"),
    ("dataset.train_fraction=1", "dataset.train_fraction"),
    ("dataset.name=csv", "dataset.csv_path"),
    ("nonsense=1", "unknown setting 'nonsense'"),
    ("dataset.colour=red", "unknown setting 'dataset.colour'"),
    ("steps", "expected key=value"),
    ("l1=-0.1", "l1: -0.1 is not allowed"),
    ("max_norm=0", "max_norm: 0 is not allowed; expected null (no limit) or a number above 0"),
    ("max_norm=inf", "max_norm"),
    ("dropout.kind=spike", "dropout.kind: 'spike' is not allowed; expected one of bernoulli, gaussian"),
])
def test_bad_values_name_the_key_and_what_is_allowed(assignment, message):
    with pytest.raises(ConfigError) as error:
        Config().with_overrides([assignment])
    assert message in str(error.value)


def test_unknown_key_in_a_file_lists_the_allowed_ones():
    with pytest.raises(ConfigError, match=r"unknown setting 'dropout\.rate'; allowed: input, hidden, kind"):
        Config.from_dict({"dropout": {"rate": 0.5}})


def test_bad_json_and_missing_file_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not valid JSON"):
        Config.from_json("{hidden_layers: [1}")
    with pytest.raises(ConfigError, match="cannot read experiment file"):
        Config.load(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="JSON object"):
        Config.from_json("[1, 2]")


def test_live_changes_keep_the_network_and_others_need_a_new_one():
    config = Config()
    for live in ("dropout.hidden=0.2", "scaling=none", "mask=per_batch", "learning_rate=0.1",
                 "l2=0.01", "batch_size=64", "steps=5", "l1=0.01", "max_norm=3"):
        assert not config.needs_new_network(config.with_overrides([live]))
    for structural in ("hidden_layers=[4]", "activation=tanh", "optimizer=sgd", "seed=1",
                       "dataset.noise=0.1", "dataset.name=xor", "dropout.kind=gaussian"):
        assert config.needs_new_network(config.with_overrides([structural]))
