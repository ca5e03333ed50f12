"""Prints the project's import cycles and any import from settings into app code.

    python -m scripts.import_cycles        (or: python scripts/import_cycles.py)

Reads every Python file of the project with `ast` (nothing is imported or run), builds the
graph "module A imports module B" from `import` and `from ... import` statements anywhere in a
file (inside functions too: an import moved into a function to dodge a cycle is still a
cycle; imports under `if TYPE_CHECKING:` are left out, they never run), then reports:

- every group of modules (files) that import each other in a circle, with one shortest
  circle written out edge by edge (file and line);
- every chain by which a settings module (`settings.py`, `*_settings.py`) reaches code of a
  Django app (a package with an `apps.py`): settings are read before any app is ready, so
  they must stand on their own.

Exits with status 1 when there is either, 0 when there is none.
"""

import argparse
import ast
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

SKIP_DIRS = {".venv", "venv", "node_modules", ".git", "data", "staticfiles", "__pycache__"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: str
    line: int
    lazy: bool  # inside a function or method

    def describe(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{self.source} -> {self.target}  ({where}{', in a function' if self.lazy else ''})"


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for every .py file under root outside the skipped folders."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if any(part in SKIP_DIRS or part.startswith(".") for part in relative.parts[:-1]):
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts and all(part.isidentifier() for part in parts):
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """(node, lazy) for every import statement that can run."""

    def walk(node, lazy):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    yield from walk(ast.Module(body=[other], type_ignores=[]), lazy)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, lazy
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from walk(child, inner)

    yield from walk(tree, False)


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The project module `name` lands in (itself, or the nearest package above it)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def build_graph(root: Path) -> tuple[dict[str, Path], dict[str, list[Edge]]]:
    modules = module_files(root)
    graph: dict[str, list[Edge]] = {name: [] for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        relative_path = str(path.relative_to(root))
        for node, lazy in _imports(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".") if package else []
                    anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    # `from pkg import sub` imports the module pkg.sub when there is one.
                    candidate = f"{base}.{alias.name}" if base else alias.name
                    targets.append(candidate if candidate in modules else base)
            for known in dict.fromkeys(_known(target, modules) for target in targets):
                if known is None or known == name:
                    continue
                graph[name].append(Edge(name, known, relative_path, node.lineno, lazy))
    return modules, graph


def strongly_connected(graph: dict[str, list[Edge]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of two or more modules, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted({e.target for e in graph[start]})))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted({e.target for e in graph[child]}))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def _order(edge: Edge) -> tuple[str, int, str]:
    return (edge.source, edge.line, edge.target)


def shortest_path(graph, start: str, goals: set[str]):
    """The shortest list of edges from start to any goal (BFS), or None."""
    previous: dict[str, Edge | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for edge in sorted(graph[node], key=lambda e: (e.target, e.line)):
            if edge.target in goals:
                path = [edge]
                while previous[path[0].source] is not None:
                    path.insert(0, previous[path[0].source])
                return path
            if edge.target not in previous:
                previous[edge.target] = edge
                queue.append(edge.target)
    return None


def app_packages(modules: dict[str, Path]) -> set[str]:
    """Top-level packages that are Django apps (they have an apps.py), except the project's own
    package (the one holding `settings` and `wsgi`), which may be an app too for its checks."""
    apps = {name.partition(".")[0] for name in modules if name.endswith(".apps")}
    project = {name.partition(".")[0] for name in modules if name.endswith(".wsgi")}
    return apps - project


def settings_modules(modules: dict[str, Path]) -> list[str]:
    """`settings` and `*_settings` modules (test modules such as test_sso_settings aside)."""
    names = []
    for name in modules:
        last = name.rpartition(".")[2]
        if (last == "settings" or last.endswith("_settings")) and not last.startswith("test_"):
            names.append(name)
    return sorted(names)


def report(root: Path) -> tuple[list[str], bool]:
    modules, graph = build_graph(root)
    lines: list[str] = []
    cycles = strongly_connected(graph)
    if cycles:
        lines.append(f"Import cycles between modules of different files: {len(cycles)}")
        for component in cycles:
            members = set(component)
            lines.append(f"- {len(component)} modules: {', '.join(component)}")
            inside = [e for m in component for e in graph[m] if e.target in members]
            lines.extend(f"    {edge.describe()}" for edge in sorted(inside, key=_order))
    else:
        lines.append("Import cycles between modules of different files: none")

    apps = app_packages(modules)
    app_modules = {name for name in modules if name.partition(".")[0] in apps}
    reaches = []
    for name in settings_modules(modules):
        if name in app_modules:
            continue  # an app's own settings-like module is app code already
        path = shortest_path(graph, name, app_modules)
        if path:
            reaches.append((name, path))
    if reaches:
        lines.append(f"Settings modules importing app code: {len(reaches)}")
        for name, path in reaches:
            lines.append(f"- {name} reaches {path[-1].target}:")
            lines.extend(f"    {edge.describe()}" for edge in path)
    else:
        lines.append("Settings modules importing app code: none")
    return lines, bool(cycles or reaches)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root", type=Path, default=Path(__file__).resolve().parent.parent,
        help="the project folder (default: the one this script is in)",
    )  # fmt: skip
    options = parser.parse_args(argv)
    lines, failed = report(options.root.resolve())
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
