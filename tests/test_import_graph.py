"""The package boundaries, read from the source: who may import what, and no circle anywhere.

Every import statement counts, also those inside functions and under TYPE_CHECKING: a lazy import
still ties two modules together, and a circle of them is where a change starts to need the whole
package in one's head. Importing `a.b.c` also runs the packages `a` and `a.b`, so those count too.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dropviz"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imported_names(module: str, path: Path) -> set[str]:
    """Every absolute name an import statement of the module names (libraries included)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _own_module(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _edges() -> dict[str, set[str]]:
    edges = {}
    for module, path in MODULES.items():
        targets = set()
        for name in _imported_names(module, path):
            target = _own_module(name) if name.startswith("dropviz") else None
            if target is None:
                continue
            parts = target.split(".")
            targets.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        edges[module] = {t for t in targets if t != module and not module.startswith(t + ".")}
    return edges


def _circles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(group)
    return found


def test_the_circle_finder_finds_a_circle_through_a_lazy_import():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(edges) == [{"a", "b", "c"}]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_its_way_back_to_itself():
    assert _circles(_edges()) == []


def _importers(prefix: str, library: str) -> list[str]:
    return sorted(module for module, path in MODULES.items()
                  if module.startswith(prefix)
                  and any(name == library or name.startswith(library + ".")
                          for name in _imported_names(module, path)))


@pytest.mark.parametrize("library", ["PyQt5", "pyqtgraph", "dropviz.ui"])
def test_the_model_and_the_session_never_import_qt_or_the_window(library):
    assert _importers("dropviz.model", library) == []
    assert _importers("dropviz.session", library) == []


@pytest.mark.parametrize("library", ["dropviz.session", "dropviz.cli", "dropviz.api"])
def test_the_model_never_imports_what_is_built_on_it(library):
    assert _importers("dropviz.model", library) == []


def test_only_the_graph_package_imports_pytensor():
    outside = [module for module in _importers("dropviz", "pytensor")
               if not module.startswith("dropviz.model.graph")]
    assert outside == []
