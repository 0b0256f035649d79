"""ASGI middleware for `s1lib serve` (`--middleware s1lib.infer.vllm_middleware.CheckForcingSettings`): a request's
`vllm_xargs` is validated as the client sent it, before vLLM's request model reads it.

That model types `vllm_xargs` values as `str | int | float`, so a JSON `true` reaches the logits processor as 1 and
`"max_thinking": true` would run with a budget of one token. Here the same rule as everywhere else
(`stream.forcing_from_args`) sees the original JSON; a bad setting is a 400 in vLLM's error format. The processor's
`validate_params` still checks what vLLM passes on (offline `LLM` requests have no HTTP body).

vLLM adds this middleware outside its key check, so a request without the server's key is handed on unread, for
vLLM to answer 401: nobody without the key learns anything from the server.
"""

from __future__ import annotations

import functools
import json
import os
import secrets

from s1lib.infer.forcing import Vocab
from s1lib.infer.stream import ForcingError, forcing_from_args

# set by `s1lib serve`: the served model's tokenizer, so that words the processor would have to drop (NoWait's, the
# AlphaOne ignore word, when the tokenizer splits them) are a 400 here rather than a warning in the server's log
TOKENIZER_ENV = "S1LIB_SERVE_TOKENIZER"

PATHS = ("/v1/chat/completions", "/v1/completions", "/v1/responses")


def problem(body: bytes) -> str | None:
    """Why this request body's budget-forcing settings are refused (None: they are fine, or there are none)."""
    try:
        request = json.loads(body)
    except ValueError:
        return None  # vLLM answers malformed JSON itself
    xargs = request.get("vllm_xargs") if isinstance(request, dict) else None
    if not isinstance(xargs, dict):
        return None
    try:
        forcing = forcing_from_args(xargs)
        words = forcing is not None and (forcing.suppress or forcing.alpha is not None)
        if words and os.environ.get(TOKENIZER_ENV):
            Vocab.build(_tokenizer(os.environ[TOKENIZER_ENV]), forcing)  # refuses words it cannot find as tokens
    except (ForcingError, ValueError) as err:
        return str(err)
    return None


@functools.cache
def _tokenizer(path: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def authorized(scope) -> bool:
    """Does the request carry the server's key (vLLM's own check decides; this only avoids reading for strangers)?"""
    key = os.environ.get("VLLM_API_KEY")
    if not key:
        return True
    headers = dict(scope.get("headers") or [])
    scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(token.encode(), key.encode())


class CheckForcingSettings:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not scope["path"].endswith(PATHS)
            or not authorized(scope)
        ):
            return await self.app(scope, receive, send)
        received, body = [], b""
        while True:  # the whole body, kept to hand to vLLM unchanged
            message = await receive()
            received.append(message)
            body += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        reason = problem(body)
        if reason:
            from starlette.responses import JSONResponse

            error = {"message": reason, "type": "BadRequestError", "param": "vllm_xargs", "code": 400}
            return await JSONResponse({"error": error}, status_code=400)(scope, receive, send)

        async def replay():
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)
