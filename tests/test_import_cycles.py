"""No two modules of the package import each other, directly or through others.

``lint-imports`` (.ci/run; the contracts in pyproject.toml) checks the layers between packages;
this checks the modules inside them, which it cannot. Every import counts, one made inside a
function (on first use) as well: it still runs, so a cycle through it is a cycle. Only imports
under ``if TYPE_CHECKING:`` (hints for the type checker, never run) are left out.
"""

from __future__ import annotations

import grimp


def _cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, iter(sorted(imports[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(imports[child]))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_that() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(imports) == [["a", "b", "c"]]


def test_no_module_of_the_package_imports_itself_back() -> None:
    graph = grimp.build_graph("mql_notebook", exclude_type_checking_imports=True, cache_dir=None)
    imports = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    shown = []
    for component in _cycles(imports):
        first = component[0]
        step = next(m for m in sorted(imports[first]) if m in component)
        back = graph.find_shortest_chain(step, first) or (step, first)
        shown.append(" -> ".join((first, *back)))
    assert not shown, "import cycles (break them; a hint alone goes under TYPE_CHECKING):\n" + (
        "\n".join(shown)
    )
