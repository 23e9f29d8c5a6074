"""No import cycle among partages_bench's modules.

The import graph is read from the source with ``ast``, imports inside functions included: such
an import only defers a cycle to run time, and two modules that need each other share code that
belongs in a third (as ``tokenizers`` and ``default_model`` did for ``models`` and
``endpoints``). An edge goes from a module to each partages_bench module it imports;
``from a.b import c`` names ``a.b.c`` when that is a module, else ``a.b``. Importing a submodule
also runs its packages' ``__init__``: those implicit edges are left out, or every package that
imports its own submodules would close a cycle.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import partages_bench

PACKAGE = Path(partages_bench.__file__).parent


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _source(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a ``from … import`` reads from."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    anchor = parts[: len(parts) - (not is_package) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def import_graph(package: Path) -> dict[str, set[str]]:
    """Each module of ``package``, and the modules of ``package`` it imports anywhere."""
    paths = {_module_name(path, package): path for path in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names if alias.name in paths)
            elif isinstance(node, ast.ImportFrom):
                source = _source(node, module, path.name == "__init__.py")
                for alias in node.names:
                    if f"{source}.{alias.name}" in paths:
                        targets.add(f"{source}.{alias.name}")
                    elif source in paths:
                        targets.add(source)
        graph[module] = targets - {module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (its first module repeated at the end), None if it has none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return None


def test_the_scan_sees_every_kind_of_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    sources = {
        "__init__.py": "",
        "a.py": "def f():\n    from . import b\n",  # inside a function; a submodule by name
        "b.py": "from pkg.sub.c import name\n",  # a name of a module
        "sub/__init__.py": "from ..a import f\n",  # relative, from a package
        "sub/c.py": "import pkg.a\n",
    }
    for name, source in sources.items():
        (package / name).write_text(source, encoding="utf-8")
    graph = import_graph(package)
    assert graph == {
        "pkg": set(),
        "pkg.a": {"pkg.b"},
        "pkg.b": {"pkg.sub.c"},
        "pkg.sub": {"pkg.a"},
        "pkg.sub.c": {"pkg.a"},
    }
    cycle = find_cycle(graph)
    assert cycle is not None
    assert set(cycle) == {"pkg.a", "pkg.b", "pkg.sub.c"}


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph(PACKAGE))
    assert cycle is None, f"import cycle: {' -> '.join(cycle or [])}"
