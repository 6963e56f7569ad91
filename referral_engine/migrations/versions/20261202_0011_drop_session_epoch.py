"""drop users.session_epoch

Server-side sessions (0009) end a person's sessions row by row at sign-out, password
change and deactivation; the counter that once did that job was still moved on and never
read.

Drops one unused column: no other row or column changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_epoch")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
