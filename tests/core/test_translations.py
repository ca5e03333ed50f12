"""The French translation is complete, and its compiled catalogue matches it."""

import ast
import gettext
import re

from django.conf import settings

ENTRY = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$')


def catalogue_entries(path) -> list[dict[str, str]]:
    """The entries of a .po file (header and obsolete ones left out), each as keyword → text."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry = {}
                break
            if match := ENTRY.match(line):
                key = match.group(1)
                entry[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                entry[key] += ast.literal_eval(line)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def po_file(language: str):
    return settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_french_translation():
    entries = catalogue_entries(po_file("fr"))
    assert len(entries) > 500
    missing = [
        entry["msgid"]
        for entry in entries
        if not all(value for key, value in entry.items() if key.startswith("msgstr"))
    ]
    fuzzy = re.findall(
        r'^#, [^\n]*fuzzy[^\n]*\nmsgid "(.+)"$', po_file("fr").read_text(), flags=re.M
    )
    # After new strings are marked: manage.py makemessages -l fr --ignore=.venv, translate
    # these in locale/fr/LC_MESSAGES/django.po, then manage.py compilemessages.
    assert not missing, "Untranslated in locale/fr/LC_MESSAGES/django.po:\n" + "\n".join(missing)
    assert not fuzzy, "Marked fuzzy (check, then remove the flag):\n" + "\n".join(fuzzy)


def test_the_compiled_catalogue_matches_the_translation():
    entries = catalogue_entries(po_file("fr"))
    with po_file("fr").with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [
        entry["msgid"]
        for entry in entries
        if "msgid_plural" not in entry and compiled.gettext(entry["msgid"]) != entry["msgstr"]
    ]
    assert not stale, "Run manage.py compilemessages; out of date:\n" + "\n".join(stale[:20])
