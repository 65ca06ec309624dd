"""The sticky pull-request comment: create curvelint's comment once, then update it in place.

Talks to the GitHub REST API with the standard library only. The comment is found again by the
hidden `<!-- curvelint -->` marker, paging through the PR's comments. The token comes from the
environment and never appears in output or error messages.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from curvelint._version import __version__
from curvelint.reporters.markdown import MARKER

DEFAULT_API = "https://api.github.com"
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class CommentError(Exception):
    """Why the comment could not be posted, phrased for the person reading the CI log."""


@dataclass
class Target:
    api_url: str
    repo: str
    pr: int
    token: str

    def __repr__(self) -> str:  # never show the token, even in a traceback
        return f"Target(api_url={self.api_url!r}, repo={self.repo!r}, pr={self.pr})"


def target_from_env(repo: str | None = None, pr: int | None = None, api_url: str | None = None,
                    token_env: str = "GITHUB_TOKEN", env: dict[str, str] | None = None) -> Target:
    """Repository, PR number, API URL and token from flags or the GitHub Actions environment."""
    env = dict(os.environ if env is None else env)
    token = env.get(token_env, "")
    if not token:
        raise CommentError(f"no token: set {token_env} (in a workflow: `env: {token_env}: ${{{{ secrets.GITHUB_TOKEN }}}}`)")
    repo = repo or env.get("GITHUB_REPOSITORY")
    if not repo or repo.count("/") != 1:
        raise CommentError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
    pr = pr or _pr_from_env(env)
    if not pr:
        raise CommentError("no pull request number: pass --pr N, or run on a pull_request event "
                           "(GITHUB_EVENT_PATH / GITHUB_REF refs/pull/N/merge)")
    api = (api_url or env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")
    return Target(api_url=api, repo=repo, pr=int(pr), token=token)


def _pr_from_env(env: dict[str, str]) -> int | None:
    path = env.get("GITHUB_EVENT_PATH")
    if path and os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as fh:
                event = json.load(fh)
        except (OSError, ValueError):
            event = {}
        for key in ("pull_request", "issue"):
            number = (event.get(key) or {}).get("number")
            if isinstance(number, int):
                return number
        if isinstance(event.get("number"), int):
            return event["number"]
    m = re.fullmatch(r"refs/pull/(\d+)/(?:merge|head)", env.get("GITHUB_REF", ""))
    return int(m.group(1)) if m else None


class GithubClient:
    def __init__(self, target: Target, timeout: float = 30.0):
        self.target = target
        self.timeout = timeout

    def _request(self, method: str, url: str, body: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.target.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"curvelint/{__version__}",
            **({"Content-Type": "application/json"} if data is not None else {}),
        })
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = resp.read()
                return (json.loads(payload) if payload else None), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            raise CommentError(self._explain(exc.code, method, exc.read()[:2000])) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CommentError(self._scrub(f"cannot reach {self.target.api_url}: {reason}")) from None

    def _scrub(self, text: str) -> str:
        return text.replace(self.target.token, "***") if self.target.token else text

    def _explain(self, status: int, method: str, body: bytes) -> str:
        try:
            detail = json.loads(body).get("message", "")
        except (ValueError, AttributeError):
            detail = ""
        where = f"{self.target.repo}#{self.target.pr}"
        hint = {
            401: "the token was rejected (expired or malformed).",
            403: ("the token may not write to this pull request. On pull requests from forks GITHUB_TOKEN is "
                  "read-only: run curvelint in the `pull_request` workflow, upload the markdown report as an "
                  "artifact, and post it with `curvelint comment --body-file` from a second workflow triggered "
                  "by `workflow_run`, which gets a write token. In your own repository, grant "
                  "`permissions: pull-requests: write`."),
            404: f"repository or pull request {where} not found, or the token cannot see it.",
            422: "GitHub rejected the comment (a body over 65,536 characters, or an invalid request).",
        }.get(status, "unexpected response.")
        return self._scrub(f"GitHub API {method} returned {status}{f' ({detail})' if detail else ''}: {hint}")

    def comments(self) -> list[dict[str, Any]]:
        """Every comment on the PR, following the `Link: rel="next"` pages."""
        t = self.target
        url = f"{t.api_url}/repos/{t.repo}/issues/{t.pr}/comments?per_page=100"
        out: list[dict[str, Any]] = []
        while url:
            page, headers = self._request("GET", url)
            out.extend(page or [])
            m = _NEXT.search(headers.get("Link", "") or headers.get("link", ""))
            url = m.group(1) if m else ""
            if url and urllib.parse.urlsplit(url).netloc != urllib.parse.urlsplit(t.api_url).netloc:
                raise CommentError("pagination link points to another host; refusing to send the token there")
        return out

    def upsert(self, body: str) -> tuple[str, str]:
        """Update curvelint's comment if there is one, else create it: ("updated"|"created", url)."""
        if MARKER not in body:
            body = f"{MARKER}\n{body}"
        t = self.target
        mine = next((c for c in self.comments() if MARKER in (c.get("body") or "")), None)
        if mine is not None:
            result, _ = self._request("PATCH", f"{t.api_url}/repos/{t.repo}/issues/comments/{mine['id']}", {"body": body})
            return "updated", (result or {}).get("html_url", "")
        result, _ = self._request("POST", f"{t.api_url}/repos/{t.repo}/issues/{t.pr}/comments", {"body": body})
        return "created", (result or {}).get("html_url", "")
