"""How text reaches the user: one sentence form for messages from the layers below."""

from __future__ import annotations

from journey_desktop.domain.values import count_text

__all__ = ["count_text", "sentence"]


def sentence(text: object) -> str:
    """A message from below ("another journey is ...") as a sentence: capital, full stop."""
    text = str(text).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    # "… (is it running?)" ends already: no full stop after a closing bracket or quote
    # that follows one.
    ended = text.rstrip(")]\"'”’»").endswith((".", "!", "?"))
    return text if ended else text + "."
