"""How a masked field reads in an audit entry: that it changed, never what it holds."""


def conceal(value: str) -> str:
    """Secrets (password hashes, token digests, meeting links) and long customer texts
    (case descriptions, comment bodies, notes) are recorded as their length only: the entry
    says who changed the field, the object itself says what it now holds."""
    if value in ("", "None"):
        return ""
    return f"[hidden: {len(value)} characters]"
