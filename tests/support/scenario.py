"""A project whose cited pages change between audits, served from loopback.

``tests/data/projects/audit/`` holds the project: a dated article, a
``sources.toml.in`` whose URLs name ``{a}`` and ``{b}`` (two loopback hosts of
one ``LoopbackServer``), and the pages under ``pages/``. ``Scenario.page``
(re)routes a path to one of them, so a test edits, rewrites, kills, moves and
revives pages between two audits while the audit's clock is moved forward by
hand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.loopback import LoopbackServer, respond

__all__ = ["HTML", "Scenario"]

HTML = [("content-type", "text/html; charset=utf-8")]


class Scenario:
    """The audit project copied into ``root``, served by ``server``."""

    def __init__(self, source: Path, root: Path, server: LoopbackServer) -> None:
        self.source = source
        self.root = root
        self.server = server
        shutil.copytree(source, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("pages"))
        template = (root / "sources.toml.in").read_text(encoding="utf-8")
        (root / "sources.toml.in").unlink()
        (root / "sources.toml").write_text(self.fill(template), encoding="utf-8")

    @property
    def bases(self) -> dict[str, str]:
        """``{a}`` and ``{b}``: the two hosts' base URLs."""
        return {
            "a": self.server.url("", host="127.0.0.1").rstrip("/"),
            "b": self.server.url("", host="127.0.0.2").rstrip("/"),
        }

    def fill(self, text: str) -> str:
        """``text`` with ``{a}``/``{b}`` replaced by the hosts' base URLs."""
        for name, base in self.bases.items():
            text = text.replace("{" + name + "}", base)
        return text

    def unfill(self, text: str) -> str:
        """``text`` with the hosts' base URLs put back as ``{a}``/``{b}`` (for golden files)."""
        for name, base in self.bases.items():
            text = text.replace(base, "{" + name + "}")
        return text

    def url(self, path: str, host: str = "a") -> str:
        """The URL of ``path`` on host ``a`` or ``b``."""
        return self.bases[host] + path

    def page(self, path: str, name: str, status: int = 200) -> None:
        """Serve ``pages/<name>.html`` at ``path`` with ``status``."""
        body = (self.source / "pages" / f"{name}.html").read_bytes()
        self.server.route(path, respond(status, body, HTML))

    def status(self, path: str, status: int, headers: list[tuple[str, str]] | None = None) -> None:
        """Answer ``path`` with a bare ``status`` (404, 410, a redirect with its headers)."""
        self.server.route(path, respond(status, b"", headers or []))
