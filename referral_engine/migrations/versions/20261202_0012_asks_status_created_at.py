"""index asks (status, created_at)

The review queue (pending asks, longest waiting first) and the Asks list filtered by a
status read asks of one status in the order they were made; without this index the
database read the asks of every status in that order and dropped the others (at a
million events, 450,000 rows for 50).

Adds one index: no row changes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_asks_status_created_at", "asks", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_asks_status_created_at", table_name="asks")
