"""A local stand-in for an AI model: a long text, word by word."""

import asyncio
import random

TEXT = (
    "Server-Sent Events are the quiet workhorse of the real-time web. A browser opens one "
    "HTTP connection and the server keeps it, writing a line whenever something happens: a "
    "notification, a progress step, a new number on a dashboard, or the next word of an answer "
    "that a model is still thinking about. No extra protocol, no extra server, and when the "
    "connection drops the browser comes back by itself and says where it left off. With the "
    "database as the source of truth, nothing that was committed is ever lost on the way. "
) * 3


async def words(prompt: str = ""):
    if prompt:
        yield f"You asked: {prompt}\n\n"
    for word in TEXT.split(" "):
        await asyncio.sleep(random.uniform(0.02, 0.08))
        yield word + " "
