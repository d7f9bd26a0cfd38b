"""Rate limit counters: login attempts counted in the database, shared by every process

Revision ID: b2b007fc5f9e
Revises: 0615c46a325c
Create Date: 2026-11-30 04:41:20.486189

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b2b007fc5f9e"
down_revision = "0615c46a325c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("rate_limit_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rate_limit_counters_expires_at"), ["expires_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("rate_limit_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_counters_expires_at"))
    op.drop_table("rate_limit_counters")
