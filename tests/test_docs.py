"""Documentation that cannot drift: every setting, CLI command, business rule and integration is
documented.

docs/cli.md is generated from the command tree; `make docs` rewrites it.
"""

from __future__ import annotations

import os
import re
from enum import Enum
from pathlib import Path
from typing import Any

import typer.main
from pydantic import BaseModel

from accord.cli import app
from accord.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def setting_variables() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += [f"ACCORD_{name}__{sub}".upper() for sub in annotation.model_fields]
        else:
            names.append(f"ACCORD_{name}".upper())
    return names


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    variables = setting_variables()
    assert len(variables) >= 10
    assert [v for v in variables if f"`{v}`" not in text] == []


def test_every_rule_is_documented() -> None:
    text = (DOCS / "problems.md").read_text()
    rules = set()
    for path in (ROOT / "src" / "accord").rglob("*.py"):
        source = path.read_text()
        rules |= set(re.findall(r'(?:RuleViolation|InvalidTransition)\(\s*"([a-z0-9-]+)"', source))
    assert len(rules) > 20
    assert sorted(r for r in rules if f"`{r}`" not in text) == []


def render_cli_reference() -> str:
    root = typer.main.get_command(app)
    lines = [
        "# Command line reference",
        "",
        "Generated from the command tree by `make docs`; `tests/test_docs.py` keeps it current.",
        "",
    ]

    # Typer vendors its own click, so the tree is walked by attributes rather than by type.
    def walk(command: Any, path: list[str]) -> None:
        if path:
            lines.append(f"{'#' * min(len(path) + 1, 4)} `{' '.join(['accord', *path])}`")
            lines.append("")
        if command.help:
            lines.append(command.help.strip())
            lines.append("")
        params = [p for p in command.params if p.name != "help"]
        if params and path:
            lines.append("| argument / option | default | help |")
            lines.append("| --- | --- | --- |")
            for param in params:
                if param.param_type_name == "argument":
                    name = str(param.name).upper()
                else:
                    name = ", ".join(param.opts)
                default = "" if param.required or param.default in (None, False) else param.default
                help_text = getattr(param, "help", None) or ""
                annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
                if isinstance(annotation, type) and issubclass(annotation, Enum):
                    choices = ", ".join(str(m.value) for m in annotation)
                    help_text = (
                        help_text.rstrip(".") + ". " if help_text else ""
                    ) + f"One of: {choices}"
                lines.append(f"| `{name}` | {default} | {help_text} |")
            lines.append("")
        if hasattr(command, "commands"):
            for name in sorted(command.commands):
                walk(command.commands[name], [*path, name])

    walk(root, [])
    return "\n".join(lines).rstrip() + "\n"


def test_cli_reference_is_current() -> None:
    expected = render_cli_reference()
    target = DOCS / "cli.md"
    if os.environ.get("ACCORD_WRITE_DOCS") == "1":
        target.write_text(expected)
    assert target.read_text() == expected, "docs/cli.md is stale: run `make docs`"
    assert "`accord agreements list`" in expected


def test_every_integration_is_documented() -> None:
    """Each package under accord/integrations has its page, docs/integrations/<name>[-…].md."""
    packages = sorted(
        path.name
        for path in (ROOT / "src" / "accord" / "integrations").iterdir()
        if (path / "__init__.py").exists()
    )
    pages = {page.stem for page in (DOCS / "integrations").glob("*.md")}
    assert {"openslo", "prometheus", "sloth"} <= set(packages)
    undocumented = [
        name for name in packages if not any(p == name or p.startswith(f"{name}-") for p in pages)
    ]
    assert undocumented == []
