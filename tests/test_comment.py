"""`curvelint comment` against a real HTTP server on 127.0.0.1 that speaks the slice of the GitHub
REST API it uses: listing comments with pagination, creating and updating one."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import OVERFIT, run_cli, write_csvlogger

TOKEN = "ghs_SECRET_token_value_1234567890"


class FakeGithub:
    """Comments of PR #7 in octo/repo; `fail` makes every write answer with that status."""

    def __init__(self, existing: list[dict], page_size: int = 2, fail: int | None = None):
        self.comments = [dict(c) for c in existing]
        self.page_size = page_size
        self.fail = fail
        self.requests: list[tuple[str, str, str, dict | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status, payload=None, headers=None):
                body = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append((self.command, self.path, self.headers.get("Authorization", ""), body))
                return body

            def do_GET(self):
                self._record()
                url = urlsplit(self.path)
                if url.path != "/repos/octo/repo/issues/7/comments":
                    return self._send(404, {"message": "Not Found"})
                page = int(parse_qs(url.query).get("page", ["1"])[0])
                start = (page - 1) * fake.page_size
                chunk = fake.comments[start:start + fake.page_size]
                headers = {}
                if start + fake.page_size < len(fake.comments):
                    headers["Link"] = f'<http://{self.headers["Host"]}{url.path}?per_page=100&page={page + 1}>; rel="next"'
                self._send(200, chunk, headers)

            def do_POST(self):
                body = self._record()
                if fake.fail:
                    return self._send(fake.fail, {"message": "Resource not accessible by integration"})
                new = {"id": 1000 + len(fake.comments), "body": body["body"], "html_url": "http://example/c/new"}
                fake.comments.append(new)
                self._send(201, new)

            def do_PATCH(self):
                body = self._record()
                if fake.fail:
                    return self._send(fake.fail, {"message": "Validation Failed"})
                cid = int(self.path.rsplit("/", 1)[1])
                for c in fake.comments:
                    if c["id"] == cid:
                        c["body"] = body["body"]
                        return self._send(200, {**c, "html_url": f"http://example/c/{cid}"})
                self._send(404, {"message": "Not Found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def logs(tmp_path):
    write_csvlogger(tmp_path / "runs" / "a" / "training.log", OVERFIT)
    return tmp_path / "runs"


def comment(server, *args, env=None):
    base = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "octo/repo", "GITHUB_API_URL": server.url}
    return run_cli("comment", *args, env={**base, **(env or {})})


def assert_no_token(proc):
    assert TOKEN not in proc.stdout and TOKEN not in proc.stderr


def test_creates_the_comment_when_none_exists(logs, tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    others = [{"id": i, "body": f"comment {i}"} for i in range(5)]
    with FakeGithub(others) as gh:
        proc = comment(gh, str(logs), "--isolated", env={"GITHUB_EVENT_PATH": str(event)})
    assert proc.returncode == 0, proc.stderr
    assert "created comment on octo/repo#7" in proc.stdout
    methods = [r[0] for r in gh.requests]
    assert methods == ["GET", "GET", "GET", "POST"]  # 5 comments, 2 per page, then create
    assert all(r[2] == f"Bearer {TOKEN}" for r in gh.requests)
    body = gh.requests[-1][3]["body"]
    assert body.startswith("<!-- curvelint -->") and "GEN001" in body
    assert_no_token(proc)


def test_updates_its_own_comment_found_on_a_later_page(logs, tmp_path):
    existing = [{"id": 1, "body": "hello"}, {"id": 2, "body": "lgtm"}, {"id": 3, "body": "<!-- curvelint -->\nold report"},
                {"id": 4, "body": "ship it"}]
    body = tmp_path / "report.md"
    body.write_text("new report")
    with FakeGithub(existing) as gh:
        proc = comment(gh, "--body-file", str(body), "--pr", "7")
    assert proc.returncode == 0, proc.stderr
    assert "updated comment on octo/repo#7: http://example/c/3" in proc.stdout
    assert [r[0] for r in gh.requests] == ["GET", "GET", "PATCH"]  # both pages read, then one update
    assert gh.comments[2]["body"] == "<!-- curvelint -->\nnew report"
    assert len(gh.comments) == 4  # nothing new was posted
    assert_no_token(proc)


def test_pr_number_from_github_ref(logs):
    with FakeGithub([]) as gh:
        proc = comment(gh, str(logs), "--isolated", env={"GITHUB_REF": "refs/pull/7/merge"})
    assert proc.returncode == 0, proc.stderr
    assert gh.requests[-1][1] == "/repos/octo/repo/issues/7/comments"


@pytest.mark.parametrize("status, needle", [
    (403, "workflow_run"),
    (422, "65,536"),
])
def test_errors_are_explained_and_the_token_stays_secret(logs, status, needle):
    with FakeGithub([], fail=status) as gh:
        proc = comment(gh, str(logs), "--isolated", "--pr", "7")
    assert proc.returncode == 2
    assert f"returned {status}" in proc.stderr and needle in proc.stderr
    assert_no_token(proc)


def test_not_found_and_missing_settings(logs):
    with FakeGithub([]) as gh:
        proc = comment(gh, str(logs), "--isolated", "--pr", "8", "--repo", "octo/other")
    assert proc.returncode == 2 and "returned 404" in proc.stderr and "octo/other#8" in proc.stderr
    assert_no_token(proc)
    proc = run_cli("comment", str(logs), "--pr", "7", env={"GITHUB_REPOSITORY": "octo/repo", "GITHUB_TOKEN": ""})
    assert proc.returncode == 2 and "no token" in proc.stderr
    proc = run_cli("comment", str(logs), env={"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "octo/repo"})
    assert proc.returncode == 2 and "no pull request number" in proc.stderr
    assert_no_token(proc)


def test_unreachable_api_does_not_leak_the_token(logs):
    proc = run_cli("comment", str(logs), "--isolated", "--pr", "7", "--api-url", "http://127.0.0.1:9",
                   env={"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "octo/repo"})
    assert proc.returncode == 2 and "cannot reach" in proc.stderr
    assert_no_token(proc)


def test_the_comment_hides_the_baseline_of_the_config(logs, tmp_path):
    write_csvlogger(tmp_path / "runs" / "b" / "training.log", OVERFIT)
    assert run_cli("check", str(logs), "--isolated", "--write-baseline", str(tmp_path / "known.json")).returncode == 0
    write_csvlogger(tmp_path / "runs" / "c" / "training.log", OVERFIT)  # new since the baseline
    (tmp_path / "curvelint.toml").write_text('baseline = "known.json"\n')
    with FakeGithub([]) as gh:
        proc = comment(gh, str(logs), "--pr", "7", "--config", str(tmp_path / "curvelint.toml"))
    assert proc.returncode == 0, proc.stderr
    body = gh.comments[0]["body"]
    assert "in 1 of 3 runs" in body.splitlines()[1]  # only c's findings are new
    assert "4 known findings hidden by the baseline" in body and "| c |" in body and "| a |" not in body
