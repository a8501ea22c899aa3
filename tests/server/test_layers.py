"""The layers hold: infrastructure knows no app, the settings only read the environment, and
what a request carries goes through one typed place (docs/architecture.md, "Layers").

- Infrastructure — ``dateline/server`` and the plain helper modules beside the apps
  (``dateline/env.py``, ``datadir.py``, ``ratelimits.py``…) — imports no app, not even inside a
  function: the apps plug into it through its registries from their ``ready()``.
  ``dateline/urls.py`` is where the apps are put together, so it is not infrastructure.
- ``dateline/settings.py`` imports no module of Dateline's but ``dateline.env``, imports
  nothing by name at run time, and writes no file when it is imported.
- Only ``dateline/server/requeststate.py`` sets attributes of Dateline's own on a request or
  reads private ones; everything else uses its slots (Django's own attributes, such as
  ``request.user``, are Django's).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.http import HttpRequest

from tests.servers import PROJECT_DIR

PACKAGE_DIR = PROJECT_DIR / "dateline"
INFRASTRUCTURE_PACKAGE = "server"
# The composition root (it routes URLs to every app's views) and the settings (tested apart).
NOT_INFRASTRUCTURE = {"urls.py", "settings.py"}
DYNAMIC_IMPORTS = {"import_module", "import_string", "__import__"}
REQUEST_STATE_MODULE = PACKAGE_DIR / "server" / "requeststate.py"
# Django's own public request attributes (the API sets ``user`` and, for a HEAD, ``method``):
# what the middleware documents, and what an HttpRequest has.
PUBLIC_REQUEST_ATTRIBUTES = {"user", "session"} | {
    name for name in dir(HttpRequest()) if not name.startswith("_")
}


def apps() -> set[str]:
    """Dateline's apps: the packages with an AppConfig, but the infrastructure's own."""
    return {
        path.parent.name
        for path in PACKAGE_DIR.glob("*/apps.py")
        if path.parent.name != INFRASTRUCTURE_PACKAGE
    }


def infrastructure_modules() -> list[Path]:
    modules = sorted((PACKAGE_DIR / INFRASTRUCTURE_PACKAGE).rglob("*.py"))
    modules += sorted(p for p in PACKAGE_DIR.glob("*.py") if p.name not in NOT_INFRASTRUCTURE)
    return modules


def _package_of(path: Path) -> str:
    """The package a module is in (what its relative imports start from)."""
    return ".".join(path.relative_to(PROJECT_DIR).parts[:-1])


def imported_modules(path: Path, package: str | None = None) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports, at the top or inside a function, with its line: for
    ``from a import b`` both ``a`` and ``a.b`` (b may be a module), relative imports made
    absolute from ``package`` (by default the module's own), and the names given to
    ``import_module``/``import_string``/``__import__``."""
    package = _package_of(path) if package is None else package
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in DYNAMIC_IMPORTS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield node.lineno, first.value


def names_an_app(module: str) -> bool:
    return any(
        module == f"dateline.{app}" or module.startswith(f"dateline.{app}.") for app in apps()
    )


def test_the_apps_are_the_ones_the_rule_is_about():
    # Guards the discovery above: were it to find nothing, every check below would pass.
    assert apps() == {"newsroom", "discussion", "identity", "notifications", "importers", "demo"}
    found = {p.relative_to(PACKAGE_DIR).as_posix() for p in infrastructure_modules()}
    assert {
        "server/invalidation.py",
        "server/pagecache.py",
        "server/siteconfig.py",
        "server/scheduler.py",
        "server/requeststate.py",
        "server/management/commands/worker.py",
        "env.py",
        "datadir.py",
        "ratelimits.py",
        "cli.py",
    } <= found


def test_the_import_scan_sees_imports_inside_functions_relative_and_by_name(tmp_path):
    # Guards the scanner: a hidden import of each kind must be caught.
    example = tmp_path / "example.py"
    example.write_text(
        "def f():\n"
        "    from dateline.newsroom.models import ArticlePage\n"
        "    from ..discussion import models\n"
        "    import_string('dateline.identity.config.BUILT_IN')\n"
        "from dateline import notifications\n"
    )

    seen = {
        name
        for _line, name in imported_modules(example, package="dateline.server")
        if names_an_app(name)
    }

    assert {
        "dateline.newsroom.models",
        "dateline.discussion.models",
        "dateline.identity.config.BUILT_IN",
        "dateline.notifications",
    } <= seen


@pytest.mark.parametrize(
    "path", infrastructure_modules(), ids=lambda p: p.relative_to(PACKAGE_DIR).as_posix()
)
def test_infrastructure_imports_no_app(path):
    offending = [
        f"line {line}: {module}" for line, module in imported_modules(path) if names_an_app(module)
    ]

    assert offending == [], (
        "infrastructure must not know the apps; register from the app's ready() instead"
    )


def test_the_settings_import_nothing_of_dateline_but_env():
    settings_file = PACKAGE_DIR / "settings.py"
    ours = {
        module
        for _line, module in imported_modules(settings_file)
        if module == "dateline" or module.startswith("dateline.")
    }

    assert ours <= {"dateline", "dateline.env"}
    # `from dateline import env` names the package too; nothing else of it.
    assert "dateline.env" in ours


def test_the_settings_load_nothing_by_name():
    tree = ast.parse((PACKAGE_DIR / "settings.py").read_text(encoding="utf-8"))
    calls = {
        node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }

    assert calls.isdisjoint(DYNAMIC_IMPORTS)


def _import_settings(data_dir: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATELINE_", "DATABASE_", "SECRET_KEY", "REDIS_"))
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(DATELINE_DATA_DIR=str(data_dir), **variables)
    return subprocess.run(
        [sys.executable, "-c", "import dateline.settings"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_importing_the_settings_writes_no_file(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()

    finished = _import_settings(data_dir)

    assert finished.returncode == 0, finished.stderr
    assert list(data_dir.iterdir()) == []


def test_importing_the_settings_creates_no_data_directory(tmp_path):
    finished = _import_settings(tmp_path / "data", SECRET_KEY="k" * 40)

    assert finished.returncode == 0, finished.stderr
    assert list(tmp_path.iterdir()) == []


def _is_request(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "request"


def _forbidden_on_request(node: ast.AST) -> bool:
    """``request.x = …`` (but Django's own attributes), ``del request.x``, ``request._x``,
    ``request.__dict__``, ``setattr(request, …)``, ``getattr(request, "_x")``."""
    if isinstance(node, ast.Attribute) and _is_request(node.value):
        stored = isinstance(node.ctx, (ast.Store, ast.Del))
        return node.attr.startswith("_") or (stored and node.attr not in PUBLIC_REQUEST_ATTRIBUTES)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return False
    if not (node.args and _is_request(node.args[0])):
        return False
    if node.func.id in {"setattr", "delattr"}:
        return True
    private_name = (
        len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and str(node.args[1].value).startswith("_")
    )
    return node.func.id in {"getattr", "hasattr"} and private_name


def _request_attribute_uses(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if _forbidden_on_request(node):
            yield node.lineno, ast.unparse(node)


def test_only_the_request_state_module_sets_attributes_on_requests():
    offending = [
        f"{path.relative_to(PROJECT_DIR)}:{line}: {use}"
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if "migrations" not in path.parts and path != REQUEST_STATE_MODULE
        for line, use in _request_attribute_uses(path)
    ]

    assert offending == [], "use a dateline.server.requeststate.Slot"
    assert list(_request_attribute_uses(REQUEST_STATE_MODULE)), "the scan finds nothing"
