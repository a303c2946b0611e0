"""Regenerate the generated parts of README.md: CLI help, rule catalogue, exit codes.

    python scripts/readme.py          # rewrite README.md in place
    python scripts/readme.py --check  # exit 1 if README.md is out of date (tests run this)

Generated parts sit between ``<!-- generated:NAME -->`` and ``<!-- /generated -->``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from provenance.cli import ExitCode, cli
from provenance.rules import RULES

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK_RE = re.compile(r"(<!-- generated:(?P<name>[\w-]+) -->\n).*?(<!-- /generated -->)", re.S)
_EXIT_MEANINGS = {
    ExitCode.OK: "Passed: no finding fails the gate and coverage is not under `--fail-under`.",
    ExitCode.GATE_FAILED: "The gate failed: findings matched `--fail-on`, or coverage is under"
    " `--fail-under`.",
    ExitCode.INPUT_ERROR: "Usage, configuration or input error: a one-line message on stderr names"
    " the file and line. Other documents are still checked and reported.",
    ExitCode.INTERNAL_ERROR: "Internal error (a bug): a short message asks for a bug report; the"
    " traceback only with `--debug`.",
}


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name in sorted(group.commands):
        command = group.commands[name]
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*prefix, name)))
    return found


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def envvar_name(path: tuple[str, ...], option: click.Option) -> str:
    """The variable click's ``auto_envvar_prefix`` reads for ``option`` of ``provenance PATH``."""
    prefix = "PROVENANCE" + "".join("_" + name.replace("-", "_").upper() for name in path)
    return f"{prefix}_{(option.name or '').upper()}"


def help_text(path: tuple[str, ...]) -> str:
    """The ``--help`` output of ``provenance PATH...``."""
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="provenance", terminal_width=88)
    return result.output


def sections() -> dict[str, str]:
    """Every generated section's body."""
    parts = ["```", help_text(()).rstrip(), "```", ""]
    for path in _commands(cli):
        parts += [
            f"### provenance {' '.join(path)}",
            "",
            "```",
            help_text(path).rstrip(),
            "```",
            "",
        ]
    rules = ["| Rule | Default severity | Meaning | What to do |", "|---|---|---|---|"]
    rules += [
        f"| `{r.id.value}` | {r.severity.label} | {r.summary} | {r.help} |" for r in RULES.values()
    ]
    envvars = ["| Command | Option | Environment variable |", "|---|---|---|"]
    for path in _commands(cli):
        command = _command(path)
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in ("help", "debug"):
                envvars.append(
                    f"| `{' '.join(path)}` | `{param.opts[0]}` | `{envvar_name(path, param)}` |"
                )
    codes = ["| Code | Name | Meaning |", "|---:|---|---|"]
    codes += [f"| {int(c)} | `{c.name}` | {_EXIT_MEANINGS[c]} |" for c in ExitCode]
    return {
        "cli": "\n".join(parts).rstrip() + "\n",
        "rules": "\n".join(rules) + "\n",
        "exit-codes": "\n".join(codes) + "\n",
        "envvars": "\n".join(envvars) + "\n",
    }


def render(text: str) -> str:
    """``text`` (README.md) with every generated section refreshed."""
    bodies = sections()

    def replace(match: re.Match[str]) -> str:
        return match.group(1) + bodies[match["name"]] + match.group(3)

    return _BLOCK_RE.sub(replace, text)


def main() -> int:
    """Rewrite README.md, or with --check report whether it is current."""
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in sys.argv[1:]:
        if fresh != current:
            print("README.md is out of date: run python scripts/readme.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
