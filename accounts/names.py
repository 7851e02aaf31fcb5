"""How pages and files name a person: by name, not by login."""

import unicodedata

from accounts.types import Actor


def _written_in_chinese(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith(("CJK", "HANGUL")) for ch in text)


def person_name(user: Actor | None) -> str:
    """The user's full name, falling back to the login when none is set.

    A name written in Chinese reads family name first with no space (last name 刘, first name
    晓彤: 刘晓彤), where Django's ``get_full_name`` would give "晓彤 刘"; a whole name kept in
    one of the two fields (the demo's accounts) is shown as it is.
    """
    if user is None:
        return ""
    first = (getattr(user, "first_name", "") or "").strip()
    last = (getattr(user, "last_name", "") or "").strip()
    if _written_in_chinese(first + last):
        return f"{last}{first}"
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()
