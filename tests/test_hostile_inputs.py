"""Hostile and broken inputs: a one-line error naming the file and line and exit 2, or a
correct answer, and never a traceback.

Each case is a small fixture file named for what it proves (``tests/data/documents``,
``tests/data/sources``, ``tests/data/config``) or, when it would be too big or cannot be
checked in (100 MB, symbolic links), generated in the temporary project by the test.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from provenance.cli import ExitCode
from tests.conftest import DATA, CliResult

Cli = Callable[..., CliResult]

CHECK = ("check", "--no-fetch", "--format", "json", "-o", "-")


def _errors(result: CliResult) -> list[str]:
    return [line for line in result.err.splitlines() if line.startswith("provenance: error:")]


def _assert_clean(result: CliResult) -> None:
    assert "Traceback" not in result.err + result.out
    assert "internal error" not in result.err


# --- documents ------------------------------------------------------------------------

DOCUMENT_CASES = [
    # (fixture, exit code, expected error line, or None when the document is read)
    (
        "nul-bytes.txt",
        ExitCode.INPUT_ERROR,
        "nul-bytes.txt: looks binary (NUL bytes); give a .txt, .md or .html text file",
    ),
    (
        "png-named-page.html",
        ExitCode.INPUT_ERROR,
        "png-named-page.html: looks binary (NUL bytes); give a .txt, .md or .html text file",
    ),
    ("empty.md", ExitCode.OK, None),
    ("utf16-with-bom.txt", ExitCode.OK, None),
    ("non-utf8-latin1.txt", None, None),
    ("control-characters.md", ExitCode.OK, None),
    ("text-after-html-end.html", None, None),
]


@pytest.mark.parametrize(
    ("name", "code", "error"), DOCUMENT_CASES, ids=[c[0] for c in DOCUMENT_CASES]
)
def test_hostile_documents(
    project: Path, cli: Cli, name: str, code: ExitCode | None, error: str | None
) -> None:
    shutil.copy(DATA / "documents" / name, project / name)
    result = cli(*CHECK, name)
    _assert_clean(result)
    if code is not None:
        assert result.code == code, result.err
    else:  # read, with findings of its own (unknown citations...)
        assert result.code in (ExitCode.OK, ExitCode.GATE_FAILED), result.err
    if error is None:
        assert _errors(result) == []
        (document,) = json.loads(result.out)["documents"]
        assert document["path"] == name
    else:
        assert _errors(result) == [f"provenance: error: {error}"]


def test_a_utf16_document_is_decoded(project: Path, cli: Cli) -> None:
    shutil.copy(DATA / "documents" / "utf16-with-bom.txt", project)
    report = json.loads(cli(*CHECK, "utf16-with-bom.txt").out)
    (claim,) = report["documents"][0]["claims"]
    assert claim["text"].startswith("The river is 300 km long")
    assert claim["cited"]


def test_text_after_the_closing_html_tag_is_read(project: Path, cli: Cli) -> None:
    shutil.copy(DATA / "documents" / "text-after-html-end.html", project)
    report = json.loads(cli(*CHECK, "text-after-html-end.html").out)
    texts = [claim["text"] for claim in report["documents"][0]["claims"]]
    assert any(text.startswith("After the end another claim") for text in texts)


def test_an_unparseable_reference_url_is_a_finding_on_its_line(project: Path, cli: Cli) -> None:
    shutil.copy(DATA / "documents" / "unparseable-reference-url.md", project)
    result = cli(*CHECK, "unparseable-reference-url.md")
    _assert_clean(result)
    findings = json.loads(result.out)["findings"]
    assert [(f["rule"], f["line"]) for f in findings] == [("invalid-source", 3)]
    assert "does not parse" in findings[0]["message"]


def test_a_reference_url_with_a_bad_port_is_a_finding_on_its_line(project: Path, cli: Cli) -> None:
    (project / "port.md").write_text(
        "A claim about a port is made here [1].\n\n[1]: https://example.org:99999/page\n",
        encoding="utf-8",
    )
    result = cli(*CHECK, "port.md")
    _assert_clean(result)
    findings = json.loads(result.out)["findings"]
    assert [(f["rule"], f["line"]) for f in findings] == [("invalid-source", 3)]
    assert "does not parse" in findings[0]["message"]


def test_a_100_mb_document_is_refused_unread(project: Path, cli: Cli) -> None:
    big = project / "huge.txt"
    with big.open("wb") as file:
        file.truncate(100 * 1024 * 1024)  # sparse: costs no disk and no time
    (project / "small.txt").write_text("A claim about the world is made here [1].\n")
    result = cli(*CHECK, "huge.txt", "small.txt")
    _assert_clean(result)
    assert result.code == ExitCode.INPUT_ERROR
    assert _errors(result) == [
        "provenance: error: huge.txt: is larger than the 33554432-byte limit for a document"
        " (max_document_bytes in the config); split it or raise the limit"
    ]
    assert [d["path"] for d in json.loads(result.out)["documents"]] == ["small.txt"]


def test_the_document_size_limit_is_configurable(project: Path, cli: Cli) -> None:
    shutil.copy(DATA / "config" / "document-size-limit.toml", project / "provenance.toml")
    (project / "short.txt").write_text("A short claim is made [1].\n")
    (project / "long.txt").write_text("A longer claim is made here, with words. " * 5)
    result = cli(*CHECK, "short.txt", "long.txt")
    assert result.code == ExitCode.INPUT_ERROR
    assert _errors(result) == [
        "provenance: error: long.txt: is larger than the 100-byte limit for a document"
        " (max_document_bytes in the config); split it or raise the limit"
    ]


def test_html_nested_ten_thousand_deep_is_read(project: Path, cli: Cli) -> None:
    html = "<html><body>" + "<div>" * 10_000 + "<p>A deeply nested claim is made here [1].</p>"
    (project / "deep.html").write_text(html + "</div>" * 10_000 + "</body></html>")
    (project / "unclosed.html").write_text("<div><span>" * 5_000 + "An unclosed claim is made [1].")
    result = cli(*CHECK, "deep.html", "unclosed.html")
    _assert_clean(result)
    documents = json.loads(result.out)["documents"]
    texts = [claim["text"] for document in documents for claim in document["claims"]]
    assert texts == ["A deeply nested claim is made here [1].", "An unclosed claim is made [1]."]


def test_markdown_nested_ten_thousand_deep_is_read(project: Path, cli: Cli) -> None:
    text = ">" * 10_000 + " A quoted claim is made here [1].\n\n" + "[" * 10_000 + "\n"
    (project / "deep.md").write_text(text)
    result = cli(*CHECK, "deep.md")
    _assert_clean(result)
    assert result.code in (ExitCode.OK, ExitCode.GATE_FAILED)


def test_a_100000_character_line_is_read_with_exact_columns(project: Path, cli: Cli) -> None:
    sentence = "A fact is stated here [1]. "
    line = (sentence * (100_000 // len(sentence) + 1))[:100_000]
    (project / "long-line.txt").write_text(line + "\n")
    result = cli(*CHECK, "long-line.txt")
    _assert_clean(result)
    claims = json.loads(result.out)["documents"][0]["claims"]
    assert len(claims) == 100_000 // len(sentence) + 1 or len(claims) == 100_000 // len(sentence)
    last = claims[-1]
    assert last["line"] == 1
    assert line[last["column"] - 1 :].startswith(last["text"][:10])


def test_a_run_over_many_documents_reports_each_bad_one_and_goes_on(
    project: Path, cli: Cli
) -> None:
    docs = project / "docs"
    docs.mkdir()
    for name, _code, _error in DOCUMENT_CASES:
        shutil.copy(DATA / "documents" / name, docs / name)
    with (docs / "huge.md").open("wb") as file:
        file.truncate(64 * 1024 * 1024)
    outside = project.parent / f"{project.name}-outside"
    outside.mkdir()
    (outside / "secret.md").write_text("The runner's secret claim is made here [1].\n")
    (docs / "secret-link.md").symlink_to(outside / "secret.md")
    result = cli(*CHECK, "docs")
    _assert_clean(result)
    assert result.code == ExitCode.INPUT_ERROR
    assert sorted(_errors(result)) == [
        "provenance: error: docs/huge.md: is larger than the 33554432-byte limit for a"
        " document (max_document_bytes in the config); split it or raise the limit",
        "provenance: error: docs/nul-bytes.txt: looks binary (NUL bytes); give a .txt, .md"
        " or .html text file",
        "provenance: error: docs/png-named-page.html: looks binary (NUL bytes); give a"
        " .txt, .md or .html text file",
        "provenance: error: docs/secret-link.md: is a symbolic link leading outside the"
        " project; not read",
    ]
    read = [d["path"] for d in json.loads(result.out)["documents"]]
    assert read == [
        f"docs/{name}" for name, _code, error in sorted(DOCUMENT_CASES) if error is None
    ]
    assert "secret claim" not in result.out


# --- paths that escape ----------------------------------------------------------------


def test_a_symlinked_directory_out_of_the_tree_is_not_read(project: Path, cli: Cli) -> None:
    outside = project.parent / f"{project.name}-elsewhere"
    outside.mkdir()
    (outside / "private.md").write_text("A private claim is made here [1].\n")
    (project / "docs").mkdir()
    (project / "docs" / "ok.md").write_text("A public claim is made here [1].\n")
    (project / "docs" / "mounted").symlink_to(outside, target_is_directory=True)
    result = cli(*CHECK, "docs")
    _assert_clean(result)
    assert [d["path"] for d in json.loads(result.out)["documents"]] == ["docs/ok.md"]
    assert "private claim" not in result.out


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_an_endless_device_is_not_read(project: Path, cli: Cli) -> None:
    (project / "zero.txt").symlink_to("/dev/zero")
    result = cli(*CHECK, "zero.txt")
    _assert_clean(result)
    assert _errors(result) == [
        "provenance: error: zero.txt: is a symbolic link leading outside the project; not read"
    ]


def test_a_document_named_outside_the_project_on_the_command_line_is_read(
    project: Path, cli: Cli
) -> None:
    # Whoever types the command chooses what to read; only checked-in links are distrusted.
    outside = project.parent / f"{project.name}-draft.md"
    outside.write_text("A drafted claim is made here [1].\n")
    result = cli(*CHECK, f"../{outside.name}")
    _assert_clean(result)
    assert _errors(result) == []
    assert json.loads(result.out)["documents"][0]["path"] == str(outside)


# --- sources.toml and the config -------------------------------------------------------

FILE_CASES = [
    # (kind, fixture, expected one-line error)
    (
        "sources",
        "deep-nesting.toml",
        "sources.toml:3: TOML syntax error: arrays or inline tables nested too deep",
    ),
    (
        "sources",
        "document-outside-project.toml",
        "sources.toml:4: document '../../home/runner/notes.md' is outside the project;"
        " document paths are relative to the project root and stay inside it",
    ),
    (
        "sources",
        "unparseable-url.toml",
        "sources.toml:2: source 'a': url 'http://[::1' does not parse: Invalid IPv6 URL",
    ),
    ("sources", "bad-syntax.toml", re.compile(r"sources\.toml:3: TOML syntax error: .+")),
    (
        "sources",
        "unknown-field.toml",
        re.compile(r"sources\.toml:\d+: source '[^']+': unknown field '\w+'; did you mean '\w+'\?"),
    ),
    (
        "sources",
        "duplicate-id.toml",
        "sources.toml:4: TOML syntax error: Cannot declare ('sources', 'a') twice",
    ),
    (
        "config",
        "wrong-type.toml",
        "provenance.toml:1: fail_under: input should be a valid number, unable to parse"
        " string as a number",
    ),
    (
        "config",
        "unknown-key.toml",
        "provenance.toml:1: unknown setting 'min_claim_word'; did you mean 'min_claim_words'?",
    ),
    (
        "config",
        "unknown-fetch-key.toml",
        "provenance.toml:2: unknown setting 'fetch.concurency'; did you mean 'concurrency'?",
    ),
    ("config", "syntax-error.toml", re.compile(r"provenance\.toml:\d: TOML syntax error: .+")),
    (
        "config",
        "deep-nesting.toml",
        "provenance.toml:1: TOML syntax error: arrays or inline tables nested too deep",
    ),
    (
        "config",
        "bad-regex.toml",
        "provenance.toml:2: boilerplate: '(unclosed' is not a regular expression: missing ),"
        " unterminated subpattern at position 0",
    ),
    (
        "config",
        "paths-outside-project.toml",
        "provenance.toml:1: paths: '../../' is outside the project; paths in the config are"
        " relative to the project root and stay inside it (the command line can point"
        " elsewhere)",
    ),
    (
        "config",
        "archive-outside-project.toml",
        "provenance.toml:1: archive: '/tmp/elsewhere' is outside the project; paths in the"
        " config are relative to the project root and stay inside it (the command line can"
        " point elsewhere)",
    ),
    (
        "config",
        "reports-outside-project.toml",
        "provenance.toml:1: reports: '../../public_html' is outside the project; paths in"
        " the config are relative to the project root and stay inside it (the command line"
        " can point elsewhere)",
    ),
]


@pytest.mark.parametrize(
    ("kind", "name", "error"), FILE_CASES, ids=[f"{c[0]}-{c[1]}" for c in FILE_CASES]
)
def test_hostile_sources_and_config(
    project: Path, cli: Cli, kind: str, name: str, error: str | re.Pattern[str]
) -> None:
    target = "sources.toml" if kind == "sources" else "provenance.toml"
    shutil.copy(DATA / kind / name, project / target)
    (project / "a.md").write_text("A claim about the world is made here [@a].\n")
    result = cli("check", "--no-fetch", "a.md")
    _assert_clean(result)
    assert result.code == ExitCode.INPUT_ERROR
    (line,) = _errors(result)
    message = line.removeprefix("provenance: error: ")
    if isinstance(error, str):
        assert message == error
    else:
        assert error.fullmatch(message), message
    assert not (project / "reports").exists() or kind == "sources"


# --- nobody let in, end to end -------------------------------------------------------

DISGUISED = [
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://127.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fd00::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://localhost:8080/admin",
    "http://10.0.0.1/",
]


def test_a_document_citing_internal_addresses_gets_no_request_out(project: Path, cli: Cli) -> None:
    claims = [f"Internal claim number {n} is made here [{n}]." for n in range(1, 13)]
    references = [f"[{n}]: {url}" for n, url in enumerate(DISGUISED, start=1)]
    (project / "internal.md").write_text("\n".join([*claims, "", *references]) + "\n")
    result = cli("check", "--format", "json", "-o", "-", "internal.md")
    _assert_clean(result)
    report = json.loads(result.out)
    assert report["fetch"]["requests"] == 0
    assert {source["reason"] for source in report["sources"]} == {"blocked-by-policy"}
    assert len(report["sources"]) == len(DISGUISED)
