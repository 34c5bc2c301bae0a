"""periods, attestation, carried-forward answers, question comments

Revision ID: 0007
Revises: 0008
Create Date: 2026-11-27

An assessment names the cycle it covers (`period`, e.g. "FY2026 H1") and
keeps the statement its approver confirmed (`attestation`) with the
approver's role at the time. An answer copied into the next cycle is marked
`carried_forward` until someone confirms it. `question_comment` holds the
short threads reviewers and respondents keep about single questions.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('attestation', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('approved_by_role', sa.String(length=40), server_default='', nullable=False))

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_forward', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('question_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_question_comment_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_question_comment_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_question_comment_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_question_comment_resolved_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['question_comment.id'], name=op.f('fk_question_comment_thread_id_question_comment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_comment'))
    )
    with op.batch_alter_table('question_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_comment_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_comment_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_comment_thread_id'), ['thread_id'], unique=False)


def downgrade():
    with op.batch_alter_table('question_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_comment_thread_id'))
        batch_op.drop_index(batch_op.f('ix_question_comment_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_question_comment_assessment_id'))

    op.drop_table('question_comment')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('carried_forward')

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_column('approved_by_role')
        batch_op.drop_column('attestation')
        batch_op.drop_column('period')
