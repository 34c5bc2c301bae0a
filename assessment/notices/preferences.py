"""Which notices each person gets: every optional kind is on until they turn it off."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import NoticeOptOut
from assessment.notices.kinds import ALL, KINDS, optional_kinds


def turned_off(user_id: int) -> set[str]:
    """Return the kinds this person turned off (`all` among them when they turned all off)."""
    return set(
        db.session.scalars(sa.select(NoticeOptOut.kind).where(NoticeOptOut.user_id == user_id))
    )


def wanting(user_ids: Iterable[int], kind: str) -> set[int]:
    """Return those of these people who get notices of this kind, in one query."""
    ids = set(user_ids)
    if not ids or not KINDS[kind].optional:
        return ids
    muted = db.session.scalars(
        sa.select(NoticeOptOut.user_id).where(
            NoticeOptOut.user_id.in_(ids), NoticeOptOut.kind.in_([kind, ALL])
        )
    )
    return ids - set(muted)


def save(user_id: int, wanted: Iterable[str], all_off: bool) -> bool:
    """Store which optional kinds this person wants; return whether anything changed.

    Turning all off also silences kinds added later; their per-kind choices are
    kept, so turning all on again restores them.
    """
    wanted = set(wanted)
    should_be_off = {kind.name for kind in optional_kinds() if kind.name not in wanted}
    if all_off:
        should_be_off.add(ALL)
    current = turned_off(user_id)
    # Kinds no longer registered stay as they are: they may come back.
    relevant = {kind.name for kind in optional_kinds()} | {ALL}
    to_add = should_be_off - current
    to_remove = (current & relevant) - should_be_off
    if to_remove:
        db.session.execute(
            sa.delete(NoticeOptOut).where(
                NoticeOptOut.user_id == user_id, NoticeOptOut.kind.in_(to_remove)
            )
        )
    db.session.add_all(NoticeOptOut(user_id=user_id, kind=kind) for kind in sorted(to_add))
    return bool(to_add or to_remove)
