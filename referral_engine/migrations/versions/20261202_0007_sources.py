"""sources: signed-source rule, token scopes, poll cursors and health

Issue 13: a source owns its ids. ``raw_inputs.authenticated_as`` names the source whose
signature (or whose own poll) an input arrived under, so re-processing keeps the
signed-source rule. ``api_tokens.sources`` limits a token to named sources (NULL: any
unsigned source). ``source_states`` holds each polled source's durable cursor and the
outcome of its last poll; an index on raw inputs by source serves the health counts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("raw_inputs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authenticated_as", sa.String(length=100), nullable=True))
        batch_op.create_index(
            "ix_raw_inputs_source_outcome_received_at",
            ["source", "outcome", "received_at"],
            unique=False,
        )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sources",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=True,
            )
        )
    op.create_table(
        "source_states",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("cursor", sa.String(length=200), nullable=True),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_source_states")),
    )


def downgrade() -> None:
    op.drop_table("source_states")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("sources")
    with op.batch_alter_table("raw_inputs", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_inputs_source_outcome_received_at")
        batch_op.drop_column("authenticated_as")
