"""`curvelint download-artifact` against two real HTTP servers on 127.0.0.1: one speaking the slice
of the GitHub REST API that lists a repository's artifacts and redirects a download, one standing
for the storage host the download is redirected to (which must never see the token)."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from conftest import run_cli

TOKEN = "ghs_SECRET_artifact_token_0987654321"


def zipped(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 whose GET answers come from `answer(handler, url)`."""

    def __init__(self, answer):
        self.requests: list[tuple[str, str]] = []  # (path, Authorization header)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Authorization", "")))
                status, headers, body = answer(self, urlsplit(self.path))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def artifact(i: int, branch: str, created: str, expired: bool = False, name: str = "curvelint-curves") -> dict:
    return {"id": i, "name": name, "expired": expired, "created_at": created, "size_in_bytes": 100,
            "archive_download_url": f"/repos/octo/repo/actions/artifacts/{i}/zip",
            "workflow_run": {"id": 500 + i, "head_branch": branch}}


class FakeApi:
    """Artifacts of octo/repo, two per page; downloads redirect to `storage` (or fail with `status`)."""

    def __init__(self, artifacts: list[dict], storage_url: str, status: int | None = None):
        self.artifacts, self.storage_url, self.status = artifacts, storage_url, status

    def __call__(self, handler, url):
        if self.status:
            return self.status, {"Content-Type": "application/json"}, json.dumps({"message": "Forbidden"}).encode()
        host = handler.headers["Host"]
        if url.path == "/repos/octo/repo/actions/artifacts":
            query = parse_qs(url.query)
            page = int(query.get("page", ["1"])[0])
            named = [a for a in self.artifacts if a["name"] == query["name"][0]]
            chunk = [{**a, "archive_download_url": f"http://{host}{a['archive_download_url']}"}
                     for a in named[(page - 1) * 2:page * 2]]
            headers = {"Content-Type": "application/json"}
            if page * 2 < len(named):
                headers["Link"] = f'<http://{host}{url.path}?{url.query}&page={page + 1}>; rel="next"'
            return 200, headers, json.dumps({"total_count": len(named), "artifacts": chunk}).encode()
        if url.path.endswith("/zip"):
            number = url.path.split("/")[-2]
            return 302, {"Location": f"{self.storage_url}/blob/{number}.zip?sig=presigned"}, b""
        return 404, {}, b'{"message": "Not Found"}'


def download(api, tmp_path, *args):
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "octo/repo", "GITHUB_API_URL": api.url, "GITHUB_BASE_REF": ""}
    return run_cli("download-artifact", "curvelint-curves", "--dir", str(tmp_path / "base"), *args, env=env)


def storage_of(archives: dict[str, bytes]):
    def answer(handler, url):
        name = url.path.rsplit("/", 1)[-1]
        return (200, {"Content-Type": "application/zip"}, archives[name]) if name in archives else (404, {}, b"")
    return Server(answer)


def test_downloads_the_newest_unexpired_artifact_of_the_branch_without_sending_the_token_to_storage(tmp_path):
    archives = {"3.zip": zipped({"curves.json": '{"from": "main, newest"}', "logs/a/history.json": "{}"}),
                "1.zip": zipped({"curves.json": '{"from": "main, older"}'})}
    listing = [artifact(1, "main", "2026-11-01T10:00:00Z"), artifact(2, "feature", "2026-11-03T10:00:00Z"),
               artifact(3, "main", "2026-11-02T10:00:00Z"), artifact(4, "main", "2026-11-04T10:00:00Z", expired=True),
               artifact(5, "main", "2026-11-05T10:00:00Z", name="other")]
    with storage_of(archives) as storage, Server(FakeApi(listing, storage.url)) as api:
        proc = download(api, tmp_path, "--branch", "main")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "base")
    assert "run 503" in proc.stderr and "2 files" in proc.stderr
    assert json.loads((tmp_path / "base" / "curves.json").read_text()) == {"from": "main, newest"}
    assert (tmp_path / "base" / "logs" / "a" / "history.json").read_text() == "{}"
    listed = [p for p, _ in api.requests if "/actions/artifacts?" in p]
    assert len(listed) == 2  # two pages of two
    assert all(auth == f"Bearer {TOKEN}" for _, auth in api.requests)
    assert storage.requests == [("/blob/3.zip?sig=presigned", "")]  # the pre-signed URL, no token
    assert TOKEN not in proc.stdout + proc.stderr


def test_the_base_branch_comes_from_the_pull_request_event(tmp_path):
    archives = {"2.zip": zipped({"curves.json": "{}"})}
    listing = [artifact(1, "main", "2026-11-01T10:00:00Z"), artifact(2, "develop", "2026-11-01T09:00:00Z")]
    with storage_of(archives) as storage, Server(FakeApi(listing, storage.url)) as api:
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "octo/repo", "GITHUB_API_URL": api.url, "GITHUB_BASE_REF": "develop"}
        proc = run_cli("download-artifact", "curvelint-curves", "--dir", str(tmp_path / "b"), env=env)
    assert proc.returncode == 0, proc.stderr
    assert storage.requests[0][0].startswith("/blob/2.zip")


def test_no_artifact_from_the_branch_says_where_there_are_some(tmp_path):
    listing = [artifact(1, "feature", "2026-11-01T10:00:00Z"), artifact(2, "main", "2026-11-02T10:00:00Z", expired=True)]
    with Server(FakeApi(listing, "http://127.0.0.1:9")) as api:
        proc = download(api, tmp_path, "--branch", "main")
    assert proc.returncode == 2
    assert "no unexpired artifact 'curvelint-curves' from branch 'main'" in proc.stderr and "found on: feature" in proc.stderr
    assert not (tmp_path / "base").exists()


def test_a_forbidden_listing_explains_the_permission_and_hides_the_token(tmp_path):
    with Server(FakeApi([], "http://127.0.0.1:9", status=403)) as api:
        proc = download(api, tmp_path, "--branch", "main")
    assert proc.returncode == 2
    assert "returned 403 (Forbidden)" in proc.stderr and "actions: read" in proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr


def test_no_branch_outside_a_pull_request_is_a_usage_error(tmp_path):
    with Server(FakeApi([], "http://127.0.0.1:9")) as api:
        proc = download(api, tmp_path)
    assert proc.returncode == 2 and "no branch: pass --branch" in proc.stderr
    assert api.requests == []


def test_an_archive_member_escaping_the_directory_is_refused(tmp_path):
    archives = {"1.zip": zipped({"../escaped.txt": "x", "ok.json": "{}"})}
    with storage_of(archives) as storage, Server(FakeApi([artifact(1, "main", "2026-11-01T10:00:00Z")], storage.url)) as api:
        proc = download(api, tmp_path, "--branch", "main")
    assert proc.returncode == 2 and "points outside" in proc.stderr
    assert not (tmp_path / "escaped.txt").exists()
