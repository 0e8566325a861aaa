"""No module of app/ or core/ imports another that imports it back, at the top of a file or inside a
function. A page's first visit imports its modules; with a cycle, two first visits at one moment can
meet a half-made module ("cannot import name 'charts' from 'app.components'"), and a rule split over
two modules that need each other cannot be read or changed in one place."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _names(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(f"{prefix}.")


def package_imports(path: pathlib.Path, top: str) -> set[str]:
    """The modules of package `top` that `path` imports, as dotted names (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if _names(a.name, top))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            if _names(base, top):
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
    return found


def cycles(top: str) -> list[list[str]]:
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
               for p in (ROOT / top).rglob("*.py")}
    # a package's __init__ re-exports its modules: importing a module of it is not importing it back
    graph = {name: {m for m in package_imports(path, top) if m in modules and m != name
                    and not _names(name, m)}
             for name, path in modules.items()}

    def cycle_from(start, path, seen):
        for nxt in sorted(graph[path[-1]]):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                if found := cycle_from(start, [*path, nxt], seen):
                    return found
        return None

    return [c for name in sorted(graph) if (c := cycle_from(name, [name], {name}))]


@pytest.mark.parametrize("top", ["app", "core"])
def test_no_import_cycles(top):
    assert cycles(top) == []


def test_the_walk_finds_a_cycle(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from .b import g  # lazily: still a cycle\n")
    (package / "b.py").write_text("from . import a\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert cycles("pkg") == [["pkg.a", "pkg.b", "pkg.a"], ["pkg.b", "pkg.a", "pkg.b"]]
