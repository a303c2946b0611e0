"""`provenance sources import` appends documents' reference lists and never clobbers."""

from __future__ import annotations

import tomllib

from provenance.cli import ExitCode


def test_import_appends_new_entries_and_keeps_the_file(project, cli):
    existing = (
        '# my sources\n[documents."doc.md".sources.1]\nurl = "https://kept.example/1"  # mine\n'
    )
    (project / "sources.toml").write_text(existing)
    (project / "doc.md").write_text(
        "A claim [1]. Another claim [2].\n\n## References\n\n"
        "1. First. https://one.example/a\n2. Second source. https://two.example/b\n"
    )
    result = cli("sources", "import", "doc.md")
    assert result.code == ExitCode.OK
    text = (project / "sources.toml").read_text()
    assert text.startswith(existing)  # what was there stays byte for byte
    data = tomllib.loads(text)
    records = data["documents"]["doc.md"]["sources"]
    assert records["1"]["url"] == "https://kept.example/1"
    assert records["2"]["url"] == "https://two.example/b"
    assert records["2"]["title"] == "Second source"
    assert "added doc.md [2] https://two.example/b" in result.out
    assert "skipped doc.md [1]: already in sources.toml" in result.err
    again = cli("sources", "import", "doc.md")
    assert "0 added, 2 skipped" in again.err
    assert (project / "sources.toml").read_text() == text


def test_import_creates_the_file_and_check_then_uses_it(project, cli):
    (project / "a.txt").write_text(
        'Cases rose "sharply" in 2023 [1].\n\n[1]: https://example.org/cases "Case counts"\n'
    )
    assert cli("sources", "import", "a.txt").code == ExitCode.OK
    assert tomllib.loads((project / "sources.toml").read_text())["documents"]["a.txt"]["sources"][
        "1"
    ]
    assert cli("check", "--no-fetch", "a.txt").code == ExitCode.OK


def test_import_refuses_a_broken_sources_file(project, cli, data):
    (project / "sources.toml").write_bytes(data("sources/bad-syntax.toml").read_bytes())
    (project / "a.md").write_text("A claim [1].\n\n[1]: https://example.org\n")
    result = cli("sources", "import", "a.md")
    assert result.code == ExitCode.INPUT_ERROR
    assert result.err.startswith("provenance: error: sources.toml:3: TOML syntax error")
    assert (project / "sources.toml").read_bytes() == data("sources/bad-syntax.toml").read_bytes()
