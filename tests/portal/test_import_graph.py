"""The layers run one way: portal → exports → audits → archives → jobs, with accounts beside them.

A lower app never imports a higher one, not even inside a function, and does not name its
permissions either (the higher app passes down what it needs); ``accounts`` imports no other
project app and any app may import it; the benchmark (``bench/``) may import anything and
nothing imports it. Nor do project modules import each other in a circle, whether at the top of
a file or inside a function (an import put inside a function to dodge a circle is still one).

The source is read with ``ast``, never imported. Migrations are left out: they name other apps
only in their dependencies, which Django orders.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Higher layers may import lower ones, never the other way round.
LAYERS = {
    # Background jobs: any app may start one; jobs imports only accounts.
    "jobs": 0,
    "archives": 1,
    "audits": 2,
    "patrols": 2,
    "events": 2,
    "wishes": 2,
    "exports": 3,
    "portal": 4,
}
#: Beside the layers: imported by any app, importing none of them.
BESIDE = "accounts"
#: Imports everything to measure it; imported by nothing.
BENCH = "bench"
PACKAGES = (BESIDE, *LAYERS, BENCH)
#: Top-level names of this project's code (the apps never import ``tests``).
PROJECT = {*PACKAGES, "tests"}


@dataclass(frozen=True)
class Import:
    source: Path
    line: int
    target: str  # the module or package imported
    statement: str
    #: False under ``if TYPE_CHECKING:``, which only type checkers read.
    runs: bool

    @property
    def app(self) -> str:
        return module_name(self.source).split(".")[0]

    def where(self) -> str:
        return f"{self.source.relative_to(ROOT)}:{self.line}: {self.statement}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                modules[module_name(path)] = path
    return modules


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """The nodes inside ``if TYPE_CHECKING:`` blocks."""
    nodes: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                nodes.update(ast.walk(statement))
    return nodes


def imports_of(path: Path, modules: dict[str, Path], *, text: str | None = None) -> list[Import]:
    """Every import of project code in ``path`` (or in ``text`` as if written there), wherever
    it is written: at the top, inside a function, under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text, str(path))
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    not_run = _type_checking_only(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y, from .. import y
                parts = package.split(".")
                anchor = parts[: len(parts) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from archives import scope`` imports the module archives.scope.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target.split(".")[0] in PROJECT:
                found.append(
                    Import(
                        source=path,
                        line=node.lineno,
                        target=target,
                        statement=ast.unparse(node),
                        runs=node not in not_run,
                    )
                )
    return found


def against_the_layers(importer: str, imported: str) -> str | None:
    """Why code of app ``importer`` may not depend on app ``imported``, or None if it may."""
    if imported == importer or importer == BENCH:
        return None
    if imported == "tests":
        return "the apps never import the tests"
    if imported == BENCH:
        return "nothing imports the benchmark"
    if importer == BESIDE:
        return f"{BESIDE} imports no other project app"
    if imported == BESIDE:
        return None
    if LAYERS[imported] > LAYERS[importer]:
        return f"{importer} sits below {imported}"
    return None


def test_no_app_imports_a_layer_above_it():
    modules = project_modules()
    wrong = []
    for path in modules.values():
        for found in imports_of(path, modules):
            reason = against_the_layers(found.app, found.target.split(".")[0])
            if reason:
                wrong.append(f"{found.where()}  ({reason})")
    assert not wrong, "Imports against the layers:\n" + "\n".join(wrong)


#: ``"exports.view_monthlyreport"``, ``"audits.AuditItem"``: a permission or model of an app.
_APP_NAME = re.compile(r"^(?P<app>[a-z]+)\.[A-Za-z_]+$")


def names_of_other_apps(path: Path) -> list[tuple[int, str, str]]:
    """(line, string, app) for each string in ``path`` that is a name inside another project
    app, such as its permission ``exports.view_monthlyreport``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _APP_NAME.match(node.value)
            if match and match["app"] in LAYERS.keys() | {BESIDE}:
                found.append((node.lineno, node.value, match["app"]))
    return found


def test_no_app_names_a_permission_of_a_layer_above_it():
    wrong = []
    for path in project_modules().values():
        importer = module_name(path).split(".")[0]
        for line, string, app in names_of_other_apps(path):
            reason = against_the_layers(importer, app)
            if reason:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {string!r}  ({reason})")
    assert not wrong, "Names of a layer above, written as strings:\n" + "\n".join(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that reach each other (strongly connected components of more
    than one module, Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _within_one_package(a: str, b: str) -> bool:
    """A package and one of its own modules: its ``__init__`` re-exporting them, and they
    reaching their siblings through it, is how packages are written, not a circle."""
    return a.startswith(b + ".") or b.startswith(a + ".")


def test_no_modules_import_each_other_in_a_circle():
    modules = project_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    edges: dict[tuple[str, str], list[Import]] = {}
    for name, path in modules.items():
        for found in imports_of(path, modules):
            target = found.target
            if not found.runs or target not in modules or target == name:
                continue
            if _within_one_package(name, target):
                continue
            graph[name].add(target)
            edges.setdefault((name, target), []).append(found)
    messages = []
    for component in cycles(graph):
        members = set(component)
        lines = [
            f"  {found.where()}"
            for (source, target), imports in sorted(edges.items())
            if source in members and target in members
            for found in imports
        ]
        messages.append(" ↔ ".join(component) + ":\n" + "\n".join(lines))
    assert not messages, "Modules importing each other in a circle:\n" + "\n".join(messages)


# The checks themselves --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "code", "expected"),
    [
        ("archives/x.py", "def f():\n    from exports import models\n", "archives sits below"),
        ("accounts/x.py", "from archives.scope import User\n", "accounts imports no"),
        ("exports/x.py", "import bench.city\n", "nothing imports the benchmark"),
        ("audits/x.py", "from ..exports import selectors\n", "audits sits below exports"),
        ("exports/x.py", "from tests import factories\n", "never import the tests"),
    ],
)
def test_the_check_finds_an_import_against_the_layers(source, code, expected):
    path = ROOT / source
    modules = {**project_modules(), module_name(path): path}
    found = imports_of(path, modules, text=code)
    reasons = [against_the_layers(f.app, f.target.split(".")[0]) for f in found]
    assert any(reason and expected in reason for reason in reasons), reasons


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("portal/x.py", "from archives import scope\nfrom exports.models import MonthlyReport\n"),
        ("archives/x.py", "from accounts.system import system_actor\n"),
        ("bench/x.py", "from portal.demo import demo_seed\n"),
        ("audits/admin/x.py", "from . import display\nfrom ..models import AuditItem\n"),
    ],
)
def test_the_check_lets_imports_down_the_layers_through(source, code):
    path = ROOT / source
    modules = {**project_modules(), module_name(path): path}
    found = imports_of(path, modules, text=code)
    assert found
    assert [against_the_layers(f.app, f.target.split(".")[0]) for f in found] == [None] * len(found)


def test_the_check_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
