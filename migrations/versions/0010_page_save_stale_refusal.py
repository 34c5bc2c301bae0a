"""a page save's statement refuses itself when an answer changed meanwhile

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

On PostgreSQL a page save is one statement sent without a transaction
around it (see assessment/answer_writes.py and assessment/page_save.py).
When fewer answers were updated than sent, because one changed since the
page read it, the statement calls `page_save_refuse_stale()`, which raises:
the statement then writes nothing at all. SQLite writes a page in steps
inside its own transaction and needs no function.

"""
from alembic import op

from assessment.answer_writes import create_stale_refusal, drop_stale_refusal


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    create_stale_refusal(op.get_bind())


def downgrade():
    drop_stale_refusal(op.get_bind())
