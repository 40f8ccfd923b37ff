"""Promises of the package's shape, checked on its source: the dlt source imports without Dagster; nothing in the
product writes the process environment or patches a dlt pipeline's steps (a run calls them in turn,
loading.extract_normalize_load); no private Dagster module is imported; each module's name says what it holds, once,
and the names the modules share (pool, groups, jobs, tags) are declared in constants.py only."""

import ast
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

PACKAGE = Path(__file__).resolve().parents[1] / "liveperson_dagster"
PIPELINE_STEPS = ("run", "extract", "normalize", "load")
ENVIRONMENT_WRITES = ("setdefault", "update", "pop", "popitem", "clear", "__setitem__", "__delitem__")


def modules() -> Iterator[tuple]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def findings(matches: Callable[[ast.AST], bool]) -> list:
    """`file:line` of each node of the package for which `matches` holds."""
    return [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            for path, tree in modules() for node in ast.walk(tree) if matches(node)]


def is_os_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)
            and node.value.id == "os") or (isinstance(node, ast.Name) and node.id == "environ")


def writes_environment(node: ast.AST) -> bool:
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
        return any(isinstance(target, ast.Subscript) and is_os_environ(target.value) for target in targets)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in ENVIRONMENT_WRITES and is_os_environ(node.func.value):
            return True
        return node.func.attr in ("putenv", "unsetenv") and isinstance(node.func.value, ast.Name) \
            and node.func.value.id == "os"
    return False


def patches_a_pipeline_step(node: ast.AST) -> bool:
    """An assignment to `<anything>.load` (or `.run`, `.extract`, `.normalize`): a dlt pipeline's step replaced."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
        node, (ast.AugAssign, ast.AnnAssign)) else []
    return any(isinstance(target, ast.Attribute) and target.attr in PIPELINE_STEPS for target in targets)


def imports_private_dagster(node: ast.AST) -> bool:
    private = lambda name: name.split(".")[0].startswith("dagster") and any(  # noqa: E731
        part.startswith("_") for part in name.split(".")[1:])
    if isinstance(node, ast.ImportFrom):
        return bool(node.module) and node.level == 0 and private(node.module)
    return isinstance(node, ast.Import) and any(private(alias.name) for alias in node.names)


def test_the_dlt_source_imports_without_dagster():
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, liveperson_dagster.liveperson; "
                               "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('dagster')))"],
        capture_output=True, text=True, timeout=120, cwd=PACKAGE.parent, check=True)
    assert imported.stdout.strip() == "[]", imported.stdout


def test_the_dlt_source_reads_no_environment_and_names_no_variable():
    """Its settings are plain arguments; the Dagster project alone knows the LIVEPERSON_* variables (config.py)."""
    def reads_or_names(node: ast.AST) -> bool:
        return is_os_environ(node) or (isinstance(node, ast.Attribute) and node.attr == "getenv") or (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and "LIVEPERSON_" in node.value)

    assert [place for place in findings(reads_or_names) if place.startswith("liveperson_dagster/liveperson/")] == []


def test_each_setting_is_declared_once():
    """A setting's declaration (its default, bounds and rule) is one `Field(...)`, which the models that hold it
    inherit: the source's AccountSettings, the project's WarehouseSettings and ProjectSettings."""
    from liveperson_dagster.config import ProjectSettings

    declared = [node.target.id for _, tree in modules() for node in ast.walk(tree)
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and node.target.id in ProjectSettings.model_fields and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", None) == "Field"]
    assert sorted(declared) == sorted(ProjectSettings.model_fields)


def test_every_liveperson_asset_body_is_one_call():
    """The run path of an asset is load_resources (loading.py): a body does nothing else."""
    tree = ast.parse((PACKAGE / "assets.py").read_text())
    bodies = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and any(
        isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "_liveperson_asset"
        for decorator in node.decorator_list)]
    assert len(bodies) == 3 and all(len(body.body) == 1 for body in bodies), [body.name for body in bodies]


def test_nothing_in_the_package_writes_the_process_environment():
    assert findings(writes_environment) == []


def test_no_pipeline_step_is_patched():
    assert findings(patches_a_pipeline_step) == []


def test_no_private_dagster_module_is_imported():
    assert findings(imports_private_dagster) == []


def test_no_two_modules_share_a_name():
    names = [path.name for path in PACKAGE.rglob("*.py") if path.name != "__init__.py"]
    assert sorted({name for name in names if names.count(name) > 1}) == []


def test_the_shared_names_are_declared_in_constants_only():
    import liveperson_dagster.constants as constants

    shared = {name for name in vars(constants) if name.isupper()}
    declared = findings(lambda node: isinstance(node, ast.Assign) and any(
        isinstance(target, ast.Name) and target.id in shared for target in node.targets))
    assert {place.split(":")[0] for place in declared} == {"liveperson_dagster/constants.py"}


def test_the_checks_find_what_they_look_for(tmp_path):
    """Positive controls: each check flags a line that does what it forbids."""
    source = ("import os\nfrom dagster._core.events import X\nimport dagster._utils\nos.environ['A'] = '1'\n"
              "os.environ.update(A='1')\nos.environ.pop('A')\nos.putenv('A', '1')\nos.environ.setdefault('A', '1')\n"
              "del os.environ['A']\nos.environ.get('A')\nfrom dagster import asset\npipeline.load = lambda: None\n"
              "load = pipeline.load\n")
    nodes = list(ast.walk(ast.parse(source)))
    assert sorted(node.lineno for node in nodes if writes_environment(node)) == [4, 5, 6, 7, 8, 9]
    assert sorted(node.lineno for node in nodes if imports_private_dagster(node)) == [2, 3]
    assert sorted(node.lineno for node in nodes if patches_a_pipeline_step(node)) == [12]
