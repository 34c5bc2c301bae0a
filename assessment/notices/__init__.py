"""E-mail notices: a registry of kinds, one function per kind, an outbox sent by jobs.

- `kinds`: the registry (name, label, whether a person may turn it off).
- `events`: one function per kind, called inside the transaction of the
  change it reports; it picks the recipients and writes the outbox.
- `outbox`: the e-mail rows and the `send_mail` job that sends them after the
  commit, outside any transaction (RQ with `REDIS_URL`, else in-process once
  the response has gone).
- `preferences`: which kinds each person turned off.
- `digest`: the daily digest of `flask send-reminders`.

A new kind plugs in with a `NoticeKind` in `kinds.py`, a function in
`events.py`, a template `templates/mail/<kind>.txt`, and one call from the
domain function whose change it reports; the preferences page lists it.
"""

from assessment.notices.events import (
    AssignmentChange,
    approved,
    assignments_changed,
    changes_requested,
    invitation,
    password_reset,
    question_comment,
    review_requested,
)

__all__ = [
    "AssignmentChange",
    "approved",
    "assignments_changed",
    "changes_requested",
    "invitation",
    "password_reset",
    "question_comment",
    "review_requested",
]
