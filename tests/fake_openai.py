"""A stand-in for an OpenAI-compatible server, in a thread of the test process: it answers chat completions at once,
or with the faults a question is scheduled to meet first (429 with Retry-After, 500, a stall past the client's
timeout, a dropped connection, a permanent 400, a 200 whose JSON body is cut off or is not JSON at all, as proxies
and load balancers send them). Every attempt is logged."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(
        self, faults: dict[str, list[str]] | None = None, stall: float = 3.0, reasoning_field="reasoning_content"
    ):
        self.faults = {q: list(v) for q, v in (faults or {}).items()}
        self.stall, self.reasoning_field = stall, reasoning_field
        self.attempts: list[tuple[str, str, dict, float]] = []  # (question, what happened, headers, time)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def reply(self, question: str) -> dict:
        thinking = f"Let me think about: {question}"
        content = "The answer is \\boxed{42}."
        message = {"role": "assistant", "content": content}
        if self.reasoning_field == "think-tags":
            message["content"] = f"<think>{thinking}</think>{content}"
        else:
            message[self.reasoning_field] = thinking
        return {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "fake",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                question = body["messages"][-1]["content"]
                with fake.lock:
                    queue = fake.faults.get(question, [])
                    action = queue.pop(0) if queue else "ok"
                    fake.attempts.append(
                        (question, action, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
                    )
                if action == "drop":
                    self.connection.close()
                    self.close_connection = True
                    return
                if action == "timeout":
                    time.sleep(fake.stall)
                status, payload, headers = 200, fake.reply(question), {}
                if action in ("429", "500", "503", "400"):
                    status = int(action)
                    payload = {"error": {"message": f"scheduled {action}", "type": "fault", "code": status}}
                    if action == "429":
                        headers["Retry-After"] = "1"
                data, content_type = json.dumps(payload).encode(), "application/json"
                if action == "truncated":
                    data = data[: len(data) // 2]
                elif action == "not-json":
                    data, content_type = b"<html><body>upstream connect error</body></html>", "text/html"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
