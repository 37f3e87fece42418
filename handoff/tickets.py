"""Feedback-form tickets: what a valid one is.

The same validation serves the web form and the feedback dialogue in every channel. Topics
and the topics the form does not handle come from the knowledge base's messages, so editors
can change them. Tickets are stored by `storage.tickets.TicketStore`.
"""

from __future__ import annotations

import re

from kernel.phones import normalize_phone
from knowledge.model import KnowledgeBase
from storage.tickets import Ticket, TicketDraft, TicketStore, ticket_number

__all__ = ["EMAIL_RE", "TOPICS", "Ticket", "TicketDraft", "TicketStore", "ticket_number", "validate"]

TOPICS = ("balance", "tariffs", "services", "internet", "roaming", "coverage", "payments", "personal_account", "complaint",
          "praise", "other")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,190}\.[A-Za-z]{2,24}$")
LIMITS = {"name": 100, "description": 3000, "email": 254}


def validate(draft: TicketDraft, kb: KnowledgeBase, lang: str) -> dict[str, str]:
    """Field → error message (in the user's language); empty when the draft is valid."""
    errors: dict[str, str] = {}

    def say(key: str) -> str:
        return kb.message(key, lang)

    phone = normalize_phone(draft.phone or "")
    if not phone:
        errors["phone"] = say("form_error_phone")
    else:
        draft.phone = phone
    draft.name = (draft.name or "").strip()
    if not draft.name:
        errors["name"] = say("form_error_name")
    elif len(draft.name) > LIMITS["name"]:
        errors["name"] = say("form_error_too_long")
    if draft.region not in kb.regions_by_id:
        errors["region"] = say("form_error_region")
    if draft.topic not in TOPICS:
        errors["topic"] = say("form_error_topic")
    draft.description = (draft.description or "").strip()
    if len(draft.description) < 10:
        errors["description"] = say("form_error_description")
    elif len(draft.description) > LIMITS["description"]:
        errors["description"] = say("form_error_too_long")
    draft.email = (draft.email or "").strip()
    if draft.email and (len(draft.email) > LIMITS["email"] or not EMAIL_RE.match(draft.email)):
        errors["email"] = say("form_error_email")
    return errors
