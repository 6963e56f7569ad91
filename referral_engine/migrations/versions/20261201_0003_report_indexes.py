"""report indexes

The reports count rows by when something happened: each count now reads one range of an
index (issue 11: every report at 1M events in < 100 ms; docs/performance.md).

- ``ask_entries (kind, status, at, rule)``: a week's reviews, decisions and statuses by
  status and rule, from the index alone;
- ``asks.created_at``, ``asks.sent_at``: asks decided and sent in a period;
- ``events (type, occurred_at, transaction)``: a week's binds and complaints;
- ``raw_inputs (outcome, received_at)``: a week's rejected inputs;
- ``referrals.contacted_at``, ``referrals.quoted_at``: the funnel's and the weekly
  numbers' referrals contacted and quoted in a period.

Only indexes: no row changes. Building them reads each table once; on PostgreSQL each
``CREATE INDEX`` holds off writes to its table while it runs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 05:57:15.656886
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ask_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ask_entries_kind_status_at", ["kind", "status", "at", "rule"], unique=False
        )

    with op.batch_alter_table("asks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asks_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_asks_sent_at"), ["sent_at"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_type_occurred_at", ["type", "occurred_at", "transaction"], unique=False
        )

    with op.batch_alter_table("raw_inputs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_raw_inputs_outcome_received_at", ["outcome", "received_at"], unique=False
        )

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_contacted_at"), ["contacted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_quoted_at"), ["quoted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_quoted_at"))
        batch_op.drop_index(batch_op.f("ix_referrals_contacted_at"))

    with op.batch_alter_table("raw_inputs", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_inputs_outcome_received_at")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type_occurred_at")

    with op.batch_alter_table("asks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asks_sent_at"))
        batch_op.drop_index(batch_op.f("ix_asks_created_at"))

    with op.batch_alter_table("ask_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ask_entries_kind_status_at")
