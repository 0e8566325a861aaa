"""The web process imports no torch: everything under app/ but app/workers/ (what the engine's worker
processes run) stays clear of torch and core, statically and in a real tour of every page."""
import ast
import pathlib
import subprocess
import sys

APP = pathlib.Path(__file__).resolve().parents[1] / "app"
WORKERS = APP / "workers"


def imported_modules(path: pathlib.Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:  # from . import x
            modules.update(alias.name for alias in node.names)
    return modules


def _names(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in prefixes)


def test_web_modules_import_neither_torch_nor_core_nor_the_workers():
    files = sorted(f for f in APP.rglob("*.py") if WORKERS not in f.parents)
    assert len(files) > 30
    offenders = {str(f.relative_to(APP)): m for f in files for m in imported_modules(f)
                 if _names(m, "torch", "core", "captum", "app.workers", "workers")}
    assert not offenders


def test_only_workers_import_core():
    importers = {str(f.relative_to(APP)) for f in APP.rglob("*.py")
                 if any(_names(m, "core") for m in imported_modules(f))}
    assert importers and all(name.startswith("workers/") for name in importers), importers


TOUR = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=120)
at.query_params = {{"dataset": "digits"}}
at.run()
for page in ("views/explore.py", "views/compare.py", "views/memory.py", "views/connections.py",
             "views/attributions.py", "views/train.py"):
    at.switch_page(page).run()
    assert not at.exception, (page, at.exception)
    assert not at.error or page == "views/train.py", (page, [e.value for e in at.error])
at.button(key="train.start").click().run()
assert not at.exception, at.exception
print(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "captum", "core")))
"""


def test_a_tour_of_every_page_leaves_torch_out_of_the_web_process():
    done = subprocess.run([sys.executable, "-c", TOUR.format(app=str(APP / "streamlit_app.py"))],
                          cwd=APP.parent, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_no_module_under_app_imports_torch_itself():
    """The workers reach torch through core only (core.data.images_from_pixels, core.memory)."""
    offenders = {str(f.relative_to(APP)): m for f in APP.rglob("*.py") for m in imported_modules(f)
                 if _names(m, "torch")}
    assert not offenders
