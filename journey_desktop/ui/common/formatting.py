"""How text reaches the user: one sentence form for messages from the layers below."""

from __future__ import annotations


def sentence(text: object) -> str:
    """A message from below ("another journey is ...") as a sentence: capital, full stop."""
    text = str(text).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def count_text(number: int, singular: str, plural: str) -> str:
    """``1 run``, ``2,500 runs``: a count with its noun."""
    return f"{number:,} {singular if number == 1 else plural}"
