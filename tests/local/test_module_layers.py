"""The emulator's modules depend one way: no cycles, and the shared state never reaches up.

Read from the source (every import that runs, including those inside functions); an import
under ``if TYPE_CHECKING:`` is for hints only and does not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mql_notebook.local

LOCAL = Path(mql_notebook.local.__file__).parent
# Below the shared state (emulator.py): what must never import it, nor anything above it.
BELOW_THE_STATE = (
    "fault_layer",
    "storage",
    "storage_app",
    "faults",
    "jobs",
    "videos",
    "render",
    "requestlog",
)
ABOVE_THE_STATE = ("emulator", "app", "serving", "server", "cli")


def _imports(path: Path, *, hints: bool = False) -> set[str]:
    """The sibling modules (of local/) that ``path`` imports at run time (``hints``: or for hints)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hints_only: set[int] = set()
    for node in ast.walk(tree):
        if not hints and isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hints_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hints_only or not isinstance(node, ast.ImportFrom) or node.level != 1:
            continue
        if node.module is None:
            found.update(alias.name for alias in node.names)
        else:
            found.add(node.module.split(".")[0])
    return found


def _graph(*, hints: bool = False) -> dict[str, set[str]]:
    modules = {p.stem: p for p in LOCAL.glob("*.py") if p.stem != "__init__"}
    return {name: _imports(path, hints=hints) & set(modules) for name, path in modules.items()}


def test_the_modules_of_local_import_each_other_without_a_cycle():
    graph = _graph()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, "import cycle: " + " -> ".join((*path, name))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, (*path, name))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())


def test_nothing_below_the_shared_state_imports_it_or_what_sits_on_it():
    # Not even for hints: these modules are handed the few things they use (callables, the
    # storage settings), never the whole Emulator to reach into.
    graph = _graph(hints=True)
    for name in BELOW_THE_STATE:
        assert not graph[name] & set(ABOVE_THE_STATE), (name, graph[name] & set(ABOVE_THE_STATE))


def test_no_module_of_local_is_over_400_lines():
    lengths = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in LOCAL.glob("*.py")}
    assert max(lengths.values()) <= 400, {name: n for name, n in lengths.items() if n > 400}
