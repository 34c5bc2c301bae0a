"""render jobs: a job names the document and fingerprint it renders, once

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Draft PDFs are rendered by a job in production; the unique constraint makes
the database refuse a second job for the same assessment, document and
fingerprint.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_job_assessment_id'), ['assessment_id', 'kind', 'document', 'fingerprint']
        )


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_job_assessment_id'), type_='unique')
        batch_op.drop_column('fingerprint')
        batch_op.drop_column('document')
