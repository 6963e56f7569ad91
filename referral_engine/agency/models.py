"""The agency's settings, stored as one document so the web app can edit them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from referral_engine.db import Base, JsonDoc, UtcDateTime


class AgencySettingsRow(Base):
    __tablename__ = "agency_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Signs session cookies and tracked links; made once per database by `referral init`.
    # Stored encrypted (`enc:v1:`) when REFERRAL_ENCRYPTION_KEY is set (agency.crypto).
    secret_key: Mapped[str] = mapped_column(String(500), default="")
