"""catalogue versions, answers to confirm after an upgrade

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-27

`catalogue_version` keeps the canonical text of every catalogue version an
assessment may use, unique on its fingerprint, so an assessment is read with
its own version whatever `principles.yaml` holds later. Versions are
registered by the app (insert or ignore), not here: the migration cannot know
which catalogue older assessments were answered against beyond the running one.
An answer an upgrade carries to a changed question is marked with 0007's
`answer.carried_forward`, as answers carried into the next cycle are.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalogue_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('canonical', sa.Text(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_version')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_catalogue_version_fingerprint'))
    )
    with op.batch_alter_table('catalogue_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_version_version'), ['version'], unique=False)


def downgrade():
    with op.batch_alter_table('catalogue_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogue_version_version'))

    op.drop_table('catalogue_version')
