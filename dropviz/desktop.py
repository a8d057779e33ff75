"""A desktop entry, so dropviz starts from the applications menu with its icon (Linux, XDG).

`make install-desktop` or `python -m dropviz.desktop` writes dropviz.desktop into the user's
applications folder ($XDG_DATA_HOME/applications, by default ~/.local/share/applications) and the
icon into the hicolor theme beside it; the entry starts the `dropviz` command of the Python that
ran this, so it opens the installation it was made from. Running it again replaces both files.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from platformdirs import user_data_dir

from dropviz.model.errors import DropvizError
from dropviz.model.files import write_bytes_atomic, write_text_atomic
from dropviz.resources import icon_path

ENTRY_NAME = "dropviz.desktop"
ICON_NAME = "dropviz"  # the theme looks it up as icons/hicolor/scalable/apps/dropviz.svg


def data_folder() -> Path:
    """$XDG_DATA_HOME, by default ~/.local/share: where menus look for a user's applications."""
    return Path(user_data_dir())


def dropviz_command() -> Path:
    """The `dropviz` script installed beside this Python, else the first one on PATH."""
    beside = Path(sys.executable).parent / "dropviz"
    if beside.is_file():
        return beside.absolute()
    found = shutil.which("dropviz")
    if found is None:
        raise FileNotFoundError("no `dropviz` command: install the package first (pip install .)")
    return Path(found).absolute()


def desktop_entry(command: Path) -> str:
    """The entry's text (Desktop Entry Specification 1.4), starting `command` with no arguments."""
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        "Name=dropviz",
        "GenericName=Dropout visualiser",
        "Comment=Train a small neural network live and see what dropout does",
        f"Exec={_exec_argument(str(command))}",
        f"Icon={ICON_NAME}",
        "Terminal=false",
        "Categories=Education;ArtificialIntelligence;",
        "Keywords=dropout;neural network;machine learning;",
        "",
    ])


def _exec_argument(text: str) -> str:
    """Quoted as the spec's Exec key asks: `"`, `` ` ``, `$` and `\\` escaped inside double quotes,
    `%` doubled (field codes), then every backslash doubled again by the string escaping."""
    quoted = "".join("\\" + char if char in '"`$\\' else char for char in text).replace("%", "%%")
    return '"' + quoted.replace("\\", "\\\\") + '"'


def install_desktop_entry(data: Path | None = None) -> Path:
    """Write the entry and the icon under `data` (default data_folder()); returns the entry's path."""
    data = data_folder() if data is None else data
    command = dropviz_command()
    icon = data / "icons" / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg"
    write_bytes_atomic(icon, icon_path().read_bytes())
    entry = data / "applications" / ENTRY_NAME
    write_text_atomic(entry, desktop_entry(command))
    return entry


def main() -> int:
    try:
        entry = install_desktop_entry()
    except (DropvizError, FileNotFoundError) as error:
        print(f"dropviz: cannot install the desktop entry: {error}", file=sys.stderr)
        return 1
    print(f"wrote {entry}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
