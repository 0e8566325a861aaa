"""The app is UI only: nothing under app/ imports torch (it reaches torch through core only)."""
import ast
import pathlib

APP = pathlib.Path(__file__).resolve().parents[1] / "app"


def imported_modules(path: pathlib.Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_nothing_under_app_imports_torch():
    files = sorted(APP.rglob("*.py"))
    assert files
    offenders = {str(f.relative_to(APP)): m for f in files for m in imported_modules(f)
                 if m == "torch" or m.startswith("torch.")}
    assert not offenders


def test_only_services_imports_core():
    importers = sorted(str(f.relative_to(APP)) for f in APP.rglob("*.py")
                       if any(m == "core" or m.startswith("core.") for m in imported_modules(f)))
    assert importers == ["services.py"]
