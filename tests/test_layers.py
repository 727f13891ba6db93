"""The declared layer order of `monitor/`, checked on every import, those inside functions included.

A module may import its own layer and the layers below it, never one above. The pure core (text,
settings' rules aside, schedule, decide and the renderer) imports no I/O library at all. Only `monitor.cli`
may import lazily from any layer (its subcommands load what they need when they run), and nothing
imports `monitor.cli`.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "monitor"

# Lowest first. Each stage of an article's path sits above what it uses.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("monitor", "monitor.models", "monitor.errors"),  # the version, values passed between stages, exceptions
    ("monitor.text",),  # Arabic normalisation, tokens, canonical URLs
    ("monitor.settings",),  # the registry, loading, validation, masked dump
    ("monitor.schedule", "monitor.decide"),  # pure rules: when to poll; near-copies, topics, the decision
    ("monitor.fetch",),  # the HTTP client
    ("monitor.parse", "monitor.extract"),  # bytes -> feeds, pages -> text
    ("monitor.store",),  # the only SQL
    ("monitor.deliver",),  # outbox dispatch, channels, rendering
    ("monitor.desk",),  # the analysts' web desk and JSON API
    ("monitor.runtime",),  # one poll through the stages; the daemon (serves the desk)
    ("monitor.cli", "monitor.__main__"),  # argparse and printing
)

PURE = ("monitor.text", "monitor.schedule", "monitor.decide", "monitor.deliver.render", "monitor.models")
IO_MODULES = (
    "httpx",
    "httpcore",
    "sqlite3",
    "sqlite_utils",
    "psycopg",
    "smtplib",
    "socket",
    "apscheduler",
    "subprocess",
    "urllib.request",
    "trafilatura",
    "feedparser",
    "aiosmtpd",
    "pebble",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (best is None or len(name) > best[0]):
                best = (len(name), index)
    return None if best is None else best[1]


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.module, child.lineno, in_function))
                # `from monitor.store import outbox` imports the submodule too
                found.extend(
                    (f"{child.module}.{alias.name}", child.lineno, in_function)
                    for alias in child.names
                    if (PACKAGE.parent / f"{child.module}.{alias.name}".replace(".", "/")).with_suffix(".py").exists()
                )
            visit(child, nested)

    visit(tree, False)
    return found


def all_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_belongs_to_a_layer() -> None:
    assert [module_name(p) for p in all_modules() if layer_of(module_name(p)) is None] == []
    assert len(all_modules()) > 30  # the walk really saw the package


def test_no_module_imports_a_higher_layer() -> None:
    offences = []
    for path in all_modules():
        here = module_name(path)
        own = layer_of(here)
        assert own is not None
        for imported, line, in_function in imports(path):
            if not imported.startswith("monitor"):
                continue
            target = layer_of(imported)
            if target is None:
                continue
            if here.startswith("monitor.cli") and in_function:
                continue  # the CLI's lazy imports of its subcommands
            if imported.startswith("monitor.cli") and layer_of(here) != layer_of("monitor.cli"):
                offences.append(f"{here}:{line} imports the CLI ({imported})")
            elif target > own:
                offences.append(f"{here}:{line} imports {imported} (layer {target} above {own})")
    assert offences == []


def test_pure_core_imports_no_io_library() -> None:
    offences = []
    for path in all_modules():
        here = module_name(path)
        if not any(here == p or here.startswith(p + ".") for p in PURE):
            continue
        for imported, line, _ in imports(path):
            if any(imported == io or imported.startswith(io + ".") for io in IO_MODULES):
                offences.append(f"{here}:{line} imports {imported}")
            elif imported.startswith("monitor.") and not any(
                imported == p or imported.startswith(p + ".")
                for p in (*PURE, "monitor.errors", "monitor.settings")
            ):
                offences.append(f"{here}:{line} imports {imported}, which is not pure")
    assert offences == []


def test_no_import_cycle_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    names = {module_name(p) for p in all_modules()}
    for path in all_modules():
        graph[module_name(path)] = {m for m, _, _ in imports(path) if m in names and m != module_name(path)}
    # Tarjan-free check: a depth-first search that reports the first back edge with its path
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    # a package's __init__ re-exporting its own modules is not a cycle worth reporting
    real = [c for c in cycles if len({n.rsplit(".", 1)[0] for n in c}) > 1 or len(c) > 2]
    assert real == []


def test_the_checker_sees_a_violation() -> None:
    # the check itself must be able to fail: a store module importing the CLI is caught
    assert layer_of("monitor.store.database") == 6
    assert layer_of("monitor.cli.main") == len(LAYERS) - 1
    assert layer_of("monitor.deliver.render") == 7
    assert layer_of("monitor") == 0
