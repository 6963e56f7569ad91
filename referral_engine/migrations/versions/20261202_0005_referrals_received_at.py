"""referrals received at

Issue 12: a referral drafted from a reply counts as received when a person confirms
it, not when the reply reader drafted it. ``referrals.received_at`` records that
instant (at capture for every other referral; empty while a draft waits), indexed: the
weekly numbers, the funnel and the sources report count referrals received by it.

Existing rows: a confirmed draft takes its confirmation instant, any other received
referral its creation; a draft still waiting stays empty.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_referrals_received_at"), ["received_at"], unique=False
        )
    op.execute(
        "UPDATE referrals SET received_at = COALESCE(confirmed_at, created_at)"
        " WHERE needs_confirmation = false"
    )


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_received_at"))
        batch_op.drop_column("received_at")
