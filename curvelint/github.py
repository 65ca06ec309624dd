"""The slice of the GitHub REST API curvelint uses, with the standard library only.

- The sticky pull-request comment: created once, then updated in place; found again by the
  hidden `<!-- curvelint -->` marker, paging through the PR's comments.
- The base branch's last baseline: the newest unexpired workflow artifact of a name uploaded by a
  run on that branch, downloaded and unzipped (`curvelint download-artifact`), so a PR's runs
  are compared with main's without committing main's logs.

The token comes from the environment and never appears in output or error messages, and it is
not sent where the API redirects a download (a pre-signed storage URL on another host).
"""

from __future__ import annotations

import io
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


class GithubError(Exception):
    """Why the comment could not be posted or the artifact fetched, phrased for the person
    reading the CI log."""


@dataclass
class Target:
    api_url: str
    repo: str
    pr: int | None
    token: str

    def __repr__(self) -> str:  # never show the token, even in a traceback
        return f"Target(api_url={self.api_url!r}, repo={self.repo!r}, pr={self.pr})"


def target_from_env(repo: str | None = None, pr: int | None = None, api_url: str | None = None,
                    token_env: str = "GITHUB_TOKEN", env: dict[str, str] | None = None, need_pr: bool = True) -> Target:
    """Repository, PR number (when `need_pr`), API URL and token from flags or the GitHub
    Actions environment."""
    env = dict(os.environ if env is None else env)
    token = env.get(token_env, "")
    if not token:
        raise GithubError(f"no token: set {token_env} (in a workflow: `env: {token_env}: ${{{{ secrets.GITHUB_TOKEN }}}}`)")
    repo = repo or env.get("GITHUB_REPOSITORY")
    if not repo or repo.count("/") != 1:
        raise GithubError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
    pr = pr or _pr_from_env(env)
    if not pr and need_pr:
        raise GithubError("no pull request number: pass --pr N, or run on a pull_request event "
                           "(GITHUB_EVENT_PATH / GITHUB_REF refs/pull/N/merge)")
    api = (api_url or env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")
    return Target(api_url=api, repo=repo, pr=int(pr) if pr else None, token=token)


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

    def headers(self) -> dict[str, str]:
        """What every API request carries, the token included."""
        return {"Authorization": f"Bearer {self.target.token}", "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28", "User-Agent": f"curvelint/{__version__}"}

    def _request(self, method: str, url: str, body: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers={
            **self.headers(), **({"Content-Type": "application/json"} if data is not None else {})})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = resp.read()
                return (json.loads(payload) if payload else None), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            raise GithubError(self._explain(exc.code, method, exc.read()[:2000])) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GithubError(self._scrub(f"cannot reach {self.target.api_url}: {reason}")) from None

    def _scrub(self, text: str) -> str:
        return text.replace(self.target.token, "***") if self.target.token else text

    def _explain(self, status: int, method: str, body: bytes) -> str:
        try:
            detail = json.loads(body).get("message", "")
        except (ValueError, AttributeError):
            detail = ""
        return self._scrub(f"GitHub API {method} returned {status}{f' ({detail})' if detail else ''}: {self.hint(status)}")

    def hint(self, status: int) -> str:
        """What an error status means for posting the PR comment."""
        where = f"{self.target.repo}#{self.target.pr}"
        return {
            401: "the token was rejected (expired or malformed).",
            403: ("the token may not write to this pull request. On pull requests from forks GITHUB_TOKEN is "
                  "read-only: run curvelint in the `pull_request` workflow, upload the markdown report as an "
                  "artifact, and post it with `curvelint comment --body-file` from a second workflow triggered "
                  "by `workflow_run`, which gets a write token. In your own repository, grant "
                  "`permissions: pull-requests: write`."),
            404: f"repository or pull request {where} not found, or the token cannot see it.",
            422: "GitHub rejected the comment (a body over 65,536 characters, or an invalid request).",
        }.get(status, "unexpected response.")

    def pages(self, url: str):
        """Each page of a listing, following the `Link: rel="next"` pages on the API's own host."""
        while url:
            page, headers = self._request("GET", url)
            yield page
            m = _NEXT.search(headers.get("Link", "") or headers.get("link", ""))
            url = m.group(1) if m else ""
            if url and urllib.parse.urlsplit(url).netloc != urllib.parse.urlsplit(self.target.api_url).netloc:
                raise GithubError("pagination link points to another host; refusing to send the token there")

    def comments(self) -> list[dict[str, Any]]:
        """Every comment on the PR."""
        t = self.target
        return [c for page in self.pages(f"{t.api_url}/repos/{t.repo}/issues/{t.pr}/comments?per_page=100") for c in page or []]

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


# -- the base branch's artifact ------------------------------------------------------------------

#: Largest artifact curvelint unpacks (a curves report or a log tree, not a model checkpoint).
MAX_ARTIFACT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Artifact:
    """One workflow artifact as the API lists it."""

    id: int
    name: str
    branch: str
    run_id: int | None
    created_at: str
    download_url: str
    size: int


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand a redirect back instead of following it, so the token is not sent to the storage host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0913 - urllib's signature
        return None


class ArtifactClient(GithubClient):
    """Finds and downloads the newest artifact of a name uploaded from one branch."""

    def hint(self, status: int) -> str:
        """What an error status means for reading artifacts."""
        return {
            401: "the token was rejected (expired or malformed).",
            403: "the token may not read this repository's Actions artifacts: grant `permissions: actions: read`.",
            404: f"repository {self.target.repo} not found, or the token cannot see it.",
            410: "the artifact has expired (artifacts are kept for the repository's retention period).",
        }.get(status, "unexpected response.")

    def artifacts(self, name: str) -> list[Artifact]:
        """Every artifact called `name`, following the pages, newest first."""
        t = self.target
        url = f"{t.api_url}/repos/{t.repo}/actions/artifacts?name={urllib.parse.quote(name)}&per_page=100"
        found: list[Artifact] = []
        for page in self.pages(url):
            for a in (page or {}).get("artifacts", []):
                if a.get("name") != name or a.get("expired"):
                    continue
                run = a.get("workflow_run") or {}
                found.append(Artifact(id=int(a["id"]), name=name, branch=str(run.get("head_branch") or ""),
                                      run_id=run.get("id"), created_at=str(a.get("created_at") or ""),
                                      download_url=str(a.get("archive_download_url") or ""),
                                      size=int(a.get("size_in_bytes") or 0)))
        found.sort(key=lambda a: a.created_at, reverse=True)
        return found

    def latest(self, name: str, branch: str) -> Artifact:
        """The newest unexpired artifact `name` uploaded by a run on `branch`."""
        candidates = self.artifacts(name)
        mine = [a for a in candidates if a.branch == branch]
        if not mine:
            others = sorted({a.branch for a in candidates if a.branch})
            seen = f" (found on: {', '.join(others)})" if others else ""
            raise GithubError(f"no unexpired artifact {name!r} from branch {branch!r} in {self.target.repo}{seen}: "
                              f"upload one from the workflow that runs on pushes to {branch} (README: curvelint in CI)")
        return mine[0]

    def download(self, artifact: Artifact, dest: str) -> list[str]:
        """Unzip `artifact` into `dest` (created); returns the files written. The API answers with a
        redirect to a pre-signed URL, fetched without the token."""
        if artifact.size > MAX_ARTIFACT_BYTES:
            raise GithubError(f"artifact {artifact.name!r} is {artifact.size:,} bytes, over curvelint's "
                              f"{MAX_ARTIFACT_BYTES:,}-byte limit: upload the curves report, not the checkpoints")
        req = urllib.request.Request(artifact.download_url, headers=self.headers())
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            try:
                with opener.open(req, timeout=self.timeout) as resp:
                    payload = resp.read(MAX_ARTIFACT_BYTES + 1)
            except urllib.error.HTTPError as exc:
                if exc.code not in (301, 302, 303, 307, 308) or not exc.headers.get("Location"):
                    raise GithubError(self._explain(exc.code, "GET", exc.read()[:2000])) from None
                plain = urllib.request.Request(exc.headers["Location"], headers={"User-Agent": f"curvelint/{__version__}"})
                with urllib.request.urlopen(plain, timeout=self.timeout) as resp:
                    payload = resp.read(MAX_ARTIFACT_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise GithubError(f"downloading artifact {artifact.name!r} returned {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise GithubError(self._scrub(f"cannot download artifact {artifact.name!r}: {getattr(exc, 'reason', exc)}")) from None
        return unzip(payload, dest, artifact.name)


def unzip(payload: bytes, dest: str, name: str) -> list[str]:
    """Extract a zip archive into `dest`, refusing members that would land outside it."""
    import zipfile

    if len(payload) > MAX_ARTIFACT_BYTES:
        raise GithubError(f"artifact {name!r} is over curvelint's {MAX_ARTIFACT_BYTES:,}-byte limit")
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile:
        raise GithubError(f"artifact {name!r} is not a zip archive") from None
    root = os.path.realpath(dest)
    written = []
    with archive:
        if sum(i.file_size for i in archive.infolist()) > MAX_ARTIFACT_BYTES:
            raise GithubError(f"artifact {name!r} unpacks to over {MAX_ARTIFACT_BYTES:,} bytes")
        for info in archive.infolist():
            target = os.path.realpath(os.path.join(root, info.filename))
            if os.path.commonpath([root, target]) != root:
                raise GithubError(f"artifact {name!r} holds {info.filename!r}, which points outside {dest}")
            if info.is_dir():
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as out:
                out.write(src.read())
            written.append(target)
    return written
