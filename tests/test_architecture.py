"""Rules inside and between domain packages that import-linter cannot express (STYLE.md §5)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "accord"
DOMAINS = sorted(p.name for p in SRC.iterdir() if p.is_dir() and (p / "service.py").exists())
ADAPTERS = {"endpoints", "pages", "jobs", "cli", "deps"}
# What a module of a domain may import from *another* domain.
CROSS_DOMAIN_ALLOWED = {"service", "schemas", "enums", "rules", "deps", "ports"}


def runtime_imports(path: Path) -> list[str]:
    """Modules imported outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    names = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
    return names


def domain_modules() -> list[tuple[str, str, Path]]:
    """(domain, file role, path) of every module of every domain, sub-packages included
    (`agreements/approvals/service.py` has the role `service` in the domain `agreements`)."""
    return [
        (domain, path.stem, path)
        for domain in DOMAINS
        for path in sorted((SRC / domain).rglob("*.py"))
        if path.stem != "__init__"
    ]


def test_domains_are_found() -> None:
    assert {"identity", "audit", "catalogue", "agreements"} <= set(DOMAINS)


def test_adapters_never_reach_a_repository() -> None:
    offenders = [
        f"{domain}.{role} imports {name}"
        for domain, role, path in domain_modules()
        if role in ADAPTERS
        for name in runtime_imports(path)
        if name.startswith("accord.") and name.split(".")[-1] == "repository"
    ]
    assert offenders == []


def test_file_roles_import_what_their_role_allows() -> None:
    forbidden = {
        "models": {"service", "schemas", "repository", "endpoints", "pages", "cli", "rules"},
        "repository": {"service", "schemas", "endpoints", "pages", "cli"},
        "schemas": {"models", "repository", "service", "endpoints", "pages", "cli"},
        "rules": {"models", "repository", "service", "endpoints", "pages", "cli"},
        "service": {"endpoints", "pages", "cli"},
    }
    offenders = []
    for domain, role, path in domain_modules():
        for name in runtime_imports(path):
            parts = name.split(".")
            own = len(parts) >= 3 and parts[0] == "accord" and parts[1] == domain
            if own and parts[-1] in forbidden.get(role, set()):
                offenders.append(f"{domain}.{role} imports {name}")
    assert offenders == []


def imported_role(parts: list[str]) -> str | None:
    """The file role a name under another domain reaches: the first module below the domain and
    its sub-packages (`accord.objectives.policies.service.x` → `service`); None for a package."""
    depth = 2
    while depth < len(parts) and (SRC.joinpath(*parts[1 : depth + 1])).is_dir():
        depth += 1
    return parts[depth] if depth < len(parts) else None


def test_other_domains_are_reached_through_their_service_and_schemas() -> None:
    offenders = []
    for domain, role, path in domain_modules():
        for name in runtime_imports(path):
            parts = name.split(".")
            other = (
                len(parts) >= 3
                and parts[0] == "accord"
                and parts[1] in DOMAINS
                and parts[1] != domain
            )
            reached = imported_role(parts) if other else None
            if reached is not None and reached not in CROSS_DOMAIN_ALLOWED:
                offenders.append(f"{domain}.{role} imports {name}")
    assert offenders == []


def test_only_the_unit_of_work_commits() -> None:
    """Units of work (db/session.py) and migrations (db/migrate.py) commit; nothing else."""
    commits = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"\.commit\(\)", path.read_text())
    }
    assert commits == {"db/session.py", "db/migrate.py"}


def test_only_kit_time_reads_the_clock() -> None:
    readers = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(
            r"datetime\.now\(|datetime\.utcnow\(|time\.time\(\)|date\.today\(", path.read_text()
        )
    ]
    assert readers == ["kit/time.py"]
