"""TEMPORARY during development of issue 2; replaced by the real account actions."""
from intents.ports import Step
from intents.replies import Reply


class AccountActions:
    def active(self, conv):
        return conv.state.get("flow", {}).get("action")

    async def start(self, turn, action):
        return Step([Reply(f"[{action}]")], action=action, outcome="action")

    async def resume(self, turn):
        return None

    async def button(self, turn, payload):
        return None

    async def cancel(self, turn):
        return Step([Reply("cancelled")])
