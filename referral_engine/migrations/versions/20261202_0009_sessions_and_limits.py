"""web sessions, referral submissions counted, room for an encrypted signing key

Issue 14, item 5: signed-in browsers become rows (``web_sessions``) so that sign-out, a
password change and a deactivation end them for good; referrals sent through an ask's
introduce page are counted per link and per address (``refer_submissions``); the
agency's signing key column grows to hold the key encrypted (``enc:v1:`` and a Fernet
token).

Sessions signed in before this revision carry no session row and are asked to sign in
again; no stored row changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_web_sessions_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "refer_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ask_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ask_id"], ["asks.id"], name=op.f("fk_refer_submissions_ask_id_asks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refer_submissions")),
    )
    with op.batch_alter_table("refer_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refer_submissions_ask_id"), ["ask_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_refer_submissions_address"), ["address"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_refer_submissions_at"), ["at"], unique=False)
    with op.batch_alter_table("agency_settings", schema=None) as batch_op:
        batch_op.alter_column(
            "secret_key",
            existing_type=sa.String(length=100),
            type_=sa.String(length=500),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("agency_settings", schema=None) as batch_op:
        batch_op.alter_column(
            "secret_key",
            existing_type=sa.String(length=500),
            type_=sa.String(length=100),
            existing_nullable=False,
        )
    op.drop_table("refer_submissions")
    op.drop_table("web_sessions")
