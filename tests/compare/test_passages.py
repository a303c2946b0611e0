"""split_passages: windows of one to three sentences that never cross a paragraph."""

from __future__ import annotations

from provenance.compare import Passage, split_passages

PAGE = (
    "Helsinki summit\n"
    "\n"
    "Trump met Putin in Helsinki on July 16, 2018. The two leaders spoke alone for two hours."
    " Reporters were kept outside.\n"
    "Menu\n"
    "At the press conference, Trump sided with Putin's denial of election interference.\n"
)


def test_every_passage_is_the_text_at_its_offsets():
    for passage in split_passages(PAGE):
        assert PAGE[passage.start : passage.end] == passage.text


def test_windows_of_one_two_and_three_sentences_within_a_paragraph():
    texts = [p.text for p in split_passages(PAGE)]
    assert "Trump met Putin in Helsinki on July 16, 2018." in texts
    assert (
        "Trump met Putin in Helsinki on July 16, 2018. The two leaders spoke alone for two hours."
        in texts
    )
    assert (
        "Trump met Putin in Helsinki on July 16, 2018. The two leaders spoke alone for two hours."
        " Reporters were kept outside." in texts
    )
    # Never across a line break between blocks: the heading and the menu stay on their own.
    assert not any("Menu" in t and len(t) > 4 for t in texts)
    assert not any("summit" in t and "Trump" in t for t in texts)


def test_hard_wrapped_lines_are_one_paragraph():
    text = (
        "The special counsel did not establish that members of the campaign\n"
        "conspired or coordinated with the Russian government in its election\n"
        "interference activities.\n"
    )
    passages = split_passages(text)
    assert len(passages) == 1
    assert passages[0].text.endswith("interference activities.")


def test_an_empty_or_wordless_text_has_no_passages():
    assert split_passages("") == []
    assert split_passages("\n\n  --  \n") == []


def test_overlong_sentences_are_cut_so_no_passage_covers_a_page():
    text = " ".join(["word"] * 2000)
    passages = split_passages(text)
    assert len(passages) > 5
    assert max(len(p.text) for p in passages) <= 800


def test_passage_is_frozen_and_compares_by_value():
    assert Passage("a", 0, 1) == Passage("a", 0, 1)


def test_abbreviations_initials_and_acronyms_do_not_end_a_sentence():
    text = (
        "Dr. Smith met J. Doe in the U.S. Senate on Jan. 5 and said 15.2 percent. "
        "It was in the U.S. The talks ended. Did they? Yes!"
    )
    texts = {p.text for p in split_passages(text)}
    for sentence in (
        "Dr. Smith met J. Doe in the U.S. Senate on Jan. 5 and said 15.2 percent.",
        "It was in the U.S.",
        "The talks ended.",
        "Did they?",
        "Yes!",
    ):
        assert sentence in texts
    assert not any(t.endswith(("Dr.", " J.", "Jan.", "15.", "Doe in the U.S.")) for t in texts)


def test_the_package_is_pure_text_and_imports_none_of_the_pipeline():
    import subprocess
    import sys

    code = (
        "import sys, provenance.compare; "
        "print(any(m.startswith(('provenance.extract', 'provenance.models', 'pydantic'))"
        " for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_caller_may_change_the_list_it_gets():
    first = split_passages(PAGE)
    first.clear()
    assert split_passages(PAGE) != []
