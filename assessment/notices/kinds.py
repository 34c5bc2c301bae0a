"""The registry of e-mail notice kinds: what each is, who may turn it off, how it is shown."""

from __future__ import annotations

from dataclasses import dataclass

# The opt-out that turns every optional kind off, including kinds added later.
ALL = "all"


@dataclass(frozen=True)
class NoticeKind:
    """One kind of e-mail; its body is `templates/mail/<name>.txt`."""

    name: str
    title: str  # a short name, in messages ("review requested")
    label: str  # on the preferences page
    optional: bool = True  # a person may turn it off
    # Without a mail server, the page that caused it says the e-mail went to the log.
    # Off for kinds whose page speaks for itself (an invitation shows its link; a
    # password reset request must read the same whether or not an account exists).
    announce: bool = True
    # The body carries a secret link: it is blanked in the outbox once sent or logged.
    secret: bool = False


KINDS: dict[str, NoticeKind] = {}


def register(kind: NoticeKind) -> NoticeKind:
    """Add a kind to the registry (its name must be new and not `all`)."""
    if kind.name in KINDS or kind.name == ALL:
        raise ValueError(f"notice kind {kind.name!r} is already registered")
    KINDS[kind.name] = kind
    return kind


def optional_kinds() -> list[NoticeKind]:
    """Return the kinds a person may turn off, in the order they were registered."""
    return [kind for kind in KINDS.values() if kind.optional]


INVITATION = register(
    NoticeKind(
        "invitation",
        "invitation",
        "Invitations to join an organisation",
        optional=False,
        announce=False,
        secret=True,
    )
)
REVIEW_REQUESTED = register(
    NoticeKind(
        "review_requested",
        "review requested",
        "An assessment is submitted for review (reviewers and admins)",
    )
)
CHANGES_REQUESTED = register(
    NoticeKind(
        "changes_requested",
        "changes requested",
        "A reviewer requests changes (to the submitter and the principles' owners)",
    )
)
APPROVED = register(
    NoticeKind(
        "approved", "approved", "An assessment is approved (to the submitter and contributors)"
    )
)
ASSIGNMENT = register(
    NoticeKind(
        "assignment", "assignment", "A principle is assigned to you, or its due date changes"
    )
)
QUESTION_COMMENT = register(
    NoticeKind(
        "question_comment",
        "question comment",
        "A comment on a question you own or answered, or a reply in a thread you wrote in",
    )
)
DIGEST = register(
    NoticeKind(
        "digest",
        "daily digest",
        "Daily digest: principles you own that are due within 7 days or overdue, "
        "and reviews waiting for you",
    )
)
PASSWORD_RESET = register(
    NoticeKind(
        "password_reset",
        "password reset",
        "Password reset links you ask for",
        optional=False,
        announce=False,
        secret=True,
    )
)
REGISTRATION = register(
    NoticeKind(
        "registration",
        "registration",
        "Links to finish registering an organisation",
        optional=False,
        announce=False,
        secret=True,
    )
)
REGISTRATION_EXISTS = register(
    NoticeKind(
        "registration_exists",
        "registration with an existing account",
        "Notes that someone tried to register with your address",
        optional=False,
        announce=False,
    )
)
