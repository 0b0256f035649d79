"""The package's import graph, imports inside functions included, has no cycle: every module sits on the modules
below it, so any one of them can be read (and imported) on its own."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def import_graph() -> dict[str, set[str]]:
    modules = {}
    for path in (ROOT / "s1lib").rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[module] |= {t for t in targets if t in modules and t != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_s1lib():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_pointers_to_documentation_name_sections_that_exist():
    """A comment that cites a page's section (`docs/x.md, "Heading"`, `benchmarks/README.md, "Heading"`) or a link to
    a page's anchor points at a file and heading that are there."""
    import re

    def headings(page: Path) -> set[str]:
        return {line.lstrip("#").strip() for line in page.read_text().splitlines() if line.startswith("#")}

    def anchor(heading: str) -> str:
        return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")

    cited = re.compile(r'((?:docs/[\w-]+|benchmarks/README|README)\.md),\s*"([^"]+)"')
    linked = re.compile(r"\]\(((?:\.\./)?(?:docs/[\w-]+|benchmarks/README|README)\.md)#([\w-]+)\)")
    files = [
        *(ROOT / "s1lib").rglob("*.py"),
        *(ROOT / "params").glob("*.yaml"),
        *(ROOT / "benchmarks").glob("*.py"),
        *(ROOT / "docs").glob("*.md"),
        ROOT / "README.md",
        ROOT / "benchmarks" / "README.md",
    ]
    seen = 0
    for path in files:
        text = re.sub(r"\n\s*#\s*", " ", path.read_text())  # a citation may wrap across comment lines
        for page, heading in cited.findall(text):
            heading = " ".join(heading.split())  # or across docstring lines
            seen += 1
            assert heading in headings(ROOT / page), f"{path.name} cites {page}, {heading!r}: no such section"
        for page, tag in linked.findall(path.read_text()):
            seen += 1
            target = (path.parent / page).resolve()
            assert tag in {anchor(h) for h in headings(target)}, f"{path.name} links {page}#{tag}: no such heading"
    assert seen >= 5
