"""The desktop entry: what it says, where it goes, and the command it starts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dropviz import desktop
from dropviz.desktop import ENTRY_NAME, desktop_entry, dropviz_command, install_desktop_entry
from dropviz.resources import icon_path


def entry_keys(text: str) -> dict[str, str]:
    lines = text.splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line)


def exec_argument(value: str) -> str:
    """Undo the Exec key's escaping as a launcher does: string escapes, then one quoted argument."""
    text = value.replace("\\\\", "\\")
    assert text[0] == text[-1] == '"'
    argument, index = [], 1
    while index < len(text) - 1:
        if text[index] == "\\":
            index += 1
        elif text[index] == "%":  # a field code; only %% (a literal %) may appear here
            index += 1
            assert text[index] == "%"
        else:
            assert text[index] not in '"`$'  # reserved: must have been escaped
        argument.append(text[index])
        index += 1
    return "".join(argument)


def test_the_entry_starts_the_command_with_the_icon():
    keys = entry_keys(desktop_entry(Path("/opt/dropviz/bin/dropviz")))
    assert keys["Type"] == "Application"
    assert keys["Name"] == "dropviz"
    assert keys["Icon"] == "dropviz"
    assert keys["Terminal"] == "false"
    assert keys["Categories"].endswith(";")
    assert exec_argument(keys["Exec"]) == "/opt/dropviz/bin/dropviz"


@pytest.mark.parametrize("folder", ["/home/a b/venv", '/srv/$HOME/"x"', "/data/100%/`x`", "/back\\slash"])
def test_any_path_reaches_the_launcher_unchanged(folder):
    command = Path(folder) / "bin" / "dropviz"
    assert exec_argument(entry_keys(desktop_entry(command))["Exec"]) == str(command)


def test_the_command_is_the_one_beside_this_python():
    assert dropviz_command() == (Path(sys.executable).parent / "dropviz").absolute()


def test_install_writes_the_entry_and_the_themed_icon(tmp_path):
    entry = install_desktop_entry(tmp_path)
    assert entry == tmp_path / "applications" / ENTRY_NAME
    assert entry.read_text(encoding="utf-8") == desktop_entry(dropviz_command())
    icon = tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "dropviz.svg"
    assert icon.read_bytes() == icon_path().read_bytes()
    install_desktop_entry(tmp_path)  # again: replaced, not refused
    assert sorted(path.name for path in (tmp_path / "applications").iterdir()) == [ENTRY_NAME]


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_DATA_HOME is Linux's")
def test_main_installs_under_xdg_data_home(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert desktop.main() == 0
    assert (tmp_path / "applications" / ENTRY_NAME).is_file()
    assert capsys.readouterr().out == f"wrote {tmp_path / 'applications' / ENTRY_NAME}\n"


def test_main_says_why_it_could_not_install(monkeypatch, tmp_path, capsys):
    blocker = tmp_path / "a file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setattr(desktop, "data_folder", lambda: blocker)
    assert desktop.main() == 1
    assert capsys.readouterr().err.startswith("dropviz: cannot install the desktop entry: cannot write")
