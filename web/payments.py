"""The sandbox payment page: what a bank's card form would be. Paying credits the ledger once."""

from __future__ import annotations

import html

from aiohttp import web

from account.format import money
from backends.billing import BillingError
from kernel.clock import utcnow

from .keys import RUNTIME
from .security import csrf_ok, csrf_token

PAGE = """<!doctype html><html lang="ru"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Tele2 — оплата / payment</title>
<link rel="stylesheet" href="/static/chat.css"></head><body class="pay"><main class="pay-box">
<h1>Пополнение счёта / Top-up</h1>{body}</main></body></html>"""


async def pay_page(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    payment = await runtime.billing.payment(request.match_info["token"][:64])
    response = web.Response(content_type="text/html")
    if payment is None:
        response.set_status(404)
        response.text = PAGE.format(body="<p>Платёж не найден / Payment not found.</p>")
        return response
    if payment.status != "pending":
        response.text = PAGE.format(body="<p>Этот платёж уже оплачен / This payment is already paid.</p>")
        return response
    token = csrf_token(request, response)
    response.text = PAGE.format(body=(
        f"<p>Номер / Number: <b>{html.escape(payment.phone)}</b></p>"
        f"<p>Сумма / Amount: <b>{html.escape(money(payment.amount))}</b></p>"
        "<p>Банковская карта, без комиссии (песочница: карта всегда проходит) / "
        "Bank card, no fee (sandbox: the card always succeeds).</p>"
        f'<form method="post"><input type="hidden" name="csrf" value="{html.escape(token)}">'
        '<button type="submit" id="pay">Оплатить / Pay</button></form>'))
    return response


async def pay_submit(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    form = await request.post()
    if not csrf_ok(request, str(form.get("csrf", ""))):
        raise web.HTTPForbidden(text="bad CSRF token: reload the page")
    token = request.match_info["token"][:64]
    now = utcnow()
    try:
        result = await runtime.billing.complete_payment(token, now)
    except BillingError as exc:
        status = 404 if exc.code == "unknown_payment" else 409
        return web.Response(content_type="text/html", status=status,
                            text=PAGE.format(body=f"<p>Платёж не выполнен / Payment failed: {html.escape(exc.code)}</p>"))
    if not result.repeated:
        await _tell_chats(request, result.details, now)
    return web.Response(content_type="text/html", text=PAGE.format(body=(
        f'<p id="paid">Оплачено / Paid: {html.escape(money(int(result.details.get("amount", 0))))}. '
        f"Баланс / Balance: {html.escape(money(result.balance))}.</p>")))


async def _tell_chats(request: web.Request, details: dict, now: object) -> None:
    """Tell the payer's open chats that the money arrived."""
    runtime = request.app[RUNTIME]
    payer = details.get("payer_id")
    if payer is None:
        return
    rows = await runtime.conversations.of_subscriber(payer, limit=3)
    kb = runtime.knowledge.kb
    for row in rows:
        text = kb.message("payment_received", row["lang"], amount=money(int(details.get("amount", 0)), row["lang"]),
                          phone=details.get("phone", ""))
        message_id = await runtime.conversations.add_message(row["id"], "system", text, now)
        runtime.events.publish(f"conv:{row['id']}", {"type": "message", "id": message_id})


def setup_payments(app: web.Application) -> None:
    app.router.add_get("/pay/{token}", pay_page)
    app.router.add_post("/pay/{token}", pay_submit)
