"""The command line says what the CSV loader made of a file before it trains on it."""

from dropviz.cli import main as cli
from dropviz.model.config import Config
from dropviz.model.data.csv_loader import report_lines
from dropviz.model.data.datasets import load_dataset

SMALL = ["--set", "hidden_layers=[16,16]", "--set", "batch_size=8", "--steps", "2"]


def test_a_csv_run_prints_the_loader_s_report_and_a_built_in_one_does_not(tmp_path, capsys):
    data = tmp_path / "prices.csv"
    rows = [f"{index},{index % 7};{index % 3};{'cheap' if index % 2 else 'dear'}"
            for index in range(40)]
    data.write_text("\n".join(["price;size;kind", *rows]) + "\n")
    assert cli.main(["--csv", str(data), *SMALL]) == 0
    stderr = capsys.readouterr().err.splitlines()
    dataset = load_dataset(Config().with_overrides(
        ["dataset.name=csv", f"dataset.csv_path={data}"]).dataset, 0)
    expected = report_lines(dataset)
    assert stderr == [f"dropviz: {expected[0]}", *(f"  {line}" for line in expected[1:])]
    assert any("decimal commas" in line and "price" in line for line in stderr)

    assert cli.main([*SMALL, "--set", "dataset.n_samples=120"]) == 0
    assert capsys.readouterr().err == ""
