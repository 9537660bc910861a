"""Text repair before tagging: mojibake ftfy misses, and line breaks that only wrap a sentence."""

from nlp.clean import fix_baltic_mojibake, prepare, unwrap_lines


def test_utf8_read_as_windows_1257_is_repaired():
    original = "“Sanctions” and it’s 🔄 — final"
    broken = "ā€œSanctionsā€¯ and itā€™s šŸ”„ ā€” final"
    assert fix_baltic_mojibake(broken) == original
    # and through the tagger's preparation, with offsets back into the stored text
    prepared = prepare(broken + " China said.")
    assert prepared.text.startswith("“Sanctions” and it’s ")  # (emoji are blanked for the parser)
    start = prepared.text.index("China")
    assert (broken + " China said.")[prepared.to_original(start):].startswith("China")


def test_real_baltic_and_latin_text_is_left_alone():
    for text in ("Lietuvos šį kartą ąžuolas", "naïve café Ö§", "Ūkio ministerija – ‘gerai’"):
        assert fix_baltic_mojibake(text) == text


def test_chinese_read_as_windows_1257_is_repaired():
    broken = "习近平".encode("utf-8").decode("cp1257")
    assert fix_baltic_mojibake(broken) == "习近平"


def test_wrapped_lines_are_whitespace_headings_and_list_items_are_not():
    text = ("Export controls\n"
            "The Department of Commerce today announced new\n"
            "export controls on advanced computing chips destined for\n"
            "China, the agency said in a statement. It also added\n"
            "28 entities to the Entity List.\n"
            "Background\n"
            "The rules were first set in 2022, and\n"
            "- a bullet stays its own line\n")
    out = unwrap_lines(text)
    assert len(out) == len(text)  # offsets into documents.text are kept
    assert out.splitlines() == [
        "Export controls",
        "The Department of Commerce today announced new export controls on advanced computing "
        "chips destined for China, the agency said in a statement. It also added 28 entities to "
        "the Entity List.",
        "Background",
        "The rules were first set in 2022, and",
        "- a bullet stays its own line"]


def test_wrapped_paragraph_is_one_sentence_for_the_parser(nlp):
    text = ("The Department of Commerce today announced new\n"
            "export controls on advanced computing chips destined for\n"
            "China, the agency said.")
    doc = nlp(prepare(text).text)
    assert len(list(doc.sents)) == 1


import pytest  # noqa: E402


@pytest.fixture(scope="module")
def nlp():
    from nlp.pipeline import load_nlp
    return load_nlp()
