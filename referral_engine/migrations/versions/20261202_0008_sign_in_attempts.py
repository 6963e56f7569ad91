"""sign-in attempts

Issue 14, item 5: failed password sign-ins, counted per email and per client address so
that a run of wrong passwords is refused for a while (works across web processes).

New table only: no existing row changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempts")),
    )
    with op.batch_alter_table("sign_in_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_attempts_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sign_in_attempts_address"), ["address"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sign_in_attempts_failed_at"), ["failed_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("sign_in_attempts")
