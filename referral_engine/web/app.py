"""The FastAPI application: API routers, webhooks, pages, problem+json errors."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from referral_engine import __version__
from referral_engine.asks.endpoints import router as asks_router
from referral_engine.contacts.endpoints import router as contacts_router
from referral_engine.db import normalize_url
from referral_engine.delivery.endpoints import router as delivery_router
from referral_engine.events.endpoints import router as events_router
from referral_engine.referrals.endpoints import router as referrals_router
from referral_engine.replies.endpoints import router as replies_router
from referral_engine.reports.endpoints import router as reports_router
from referral_engine.settings import provider_settings
from referral_engine.tasks.endpoints import router as tasks_router
from referral_engine.users.endpoints import router as users_router
from referral_engine.web import problems
from referral_engine.web.edge import EdgeLimits, check_integers
from referral_engine.web.origin import SameOriginForms
from referral_engine.web.pages.views import mount_pages
from referral_engine.web.security import SecurityHeaders
from referral_engine.webhooks.endpoints import router as webhooks_router


def create_app(db_url: str) -> FastAPI:
    app = FastAPI(
        title="Referral Engine",
        version=__version__,
        description="Turns the warmest moments of a client relationship into referrals.",
        dependencies=[Depends(check_integers)],
    )
    app.state.db_url = normalize_url(db_url)
    env = provider_settings()
    app.state.trust_proxy = env.trust_proxy
    app.add_middleware(
        EdgeLimits, max_event_bytes=env.max_event_bytes, max_batch_bytes=env.max_batch_bytes
    )
    problems.install(app)
    app.include_router(events_router)
    app.include_router(asks_router)
    app.include_router(contacts_router)
    app.include_router(delivery_router)
    app.include_router(replies_router)
    app.include_router(referrals_router)
    app.include_router(reports_router)
    app.include_router(tasks_router)
    app.include_router(users_router)
    app.include_router(webhooks_router)
    mount_pages(app)
    # Outside the session: a cross-site post is refused before its cookie is read.
    app.add_middleware(SameOriginForms, trust_proxy=env.trust_proxy, public_url=env.public_url)
    # Outermost: sees every answer, and the session cookie set inside it.
    app.add_middleware(SecurityHeaders, trust_proxy=env.trust_proxy)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
