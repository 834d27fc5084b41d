#!/usr/bin/env python
"""CBNet benchmark: directory pages and API under concurrent clients, against a baseline.

Builds a throwaway database (SQLite in a temp dir by default), loads the synthetic network
(bench/synthetic.py), signs in an ROCB officer, serves the project with the production WSGI
server (granian, 2 workers, 127.0.0.1 on a free port) and drives every target with wrk in
the same run: a minimal baseline view (one indexed query, a 50-row table), the directory's
list, detail and search pages and the API list. Prints median and p95 latency, requests/s,
the ratio to the baseline, the peak memory of the workers, and PASS/MISS against the
standing target (ratio >= 0.5, < 250 MB per worker). bench/README.md explains the figures.

    .venv/bin/python bench/run.py                 # full scale, SQLite
    .venv/bin/python bench/run.py --scale 0.1     # quick check
    .venv/bin/python bench/run.py --postgres      # a throwaway local PostgreSQL cluster
    .venv/bin/python bench/run.py --database-url postgres://user@host:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TARGET_RATIO = 0.5
TARGET_MB = 250
HOST = "127.0.0.1"


class BenchError(Exception):
    pass


def say(message=""):
    print(message, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- databases ---------------------------------------------------------------------------


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temp dir on a free port (as scripts/test.sh starts one)."""

    def __init__(self, pg_bin):
        self.pg_bin = Path(pg_bin)
        self.dir = None
        self.started = False

    def _as_pg(self, *cmd):
        prefix = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        return [*prefix, *map(str, cmd)]

    def start(self):
        if not (self.pg_bin / "initdb").exists():
            raise BenchError(f"--postgres: no initdb in {self.pg_bin} (set PG_BIN)")
        self.dir = Path(tempfile.mkdtemp(prefix="cbnet-bench-pg."))
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        port = free_port()
        subprocess.run(
            self._as_pg(self.pg_bin / "initdb", "-D", self.dir / "data", "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        opts = (
            f"-c listen_addresses={HOST} -p {port} -c unix_socket_directories={self.dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self.started = True
        subprocess.run(
            self._as_pg(self.pg_bin / "pg_ctl", "-D", self.dir / "data", "-l",
                        self.dir / "server.log", "-w", "-t", "30", "-s", "start", "-o", opts),
            check=True, timeout=60,
        )  # fmt: skip
        return f"postgres://postgres@{HOST}:{port}/postgres"

    def stop(self):
        if self.started:
            subprocess.run(
                self._as_pg(self.pg_bin / "pg_ctl", "-D", self.dir / "data", "-m", "fast", "-s",
                            "stop"),
                check=False, timeout=60,
            )  # fmt: skip
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class ThrowawayDatabase:
    """A fresh database on a PostgreSQL server, dropped afterwards."""

    def __init__(self, server_url):
        self.server_url = server_url
        self.name = f"cbnet_bench_{uuid.uuid4().hex[:10]}"
        self.created = False

    def _admin(self):
        import psycopg

        parts = urlsplit(self.server_url)
        return psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True)

    def create(self):
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True
        parts = urlsplit(self.server_url)
        return urlunsplit(parts._replace(path=f"/{self.name}"))

    def drop(self):
        if self.created:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- set-up (in this process, before the server starts) -----------------------------------


@dataclass
class Target:
    name: str
    url: str  # path + query
    api: bool = False
    note: str = ""
    status: int | None = None
    problem: str = ""
    bytes: int = 0
    result: dict = field(default_factory=dict)  # the median round's wrk result
    rounds: list = field(default_factory=list)  # every round's wrk result
    peak_mb: float | None = None
    queries: int | None = None  # SQL queries for one request, counted in-process
    cpu_ms: float | None = None  # CPU time per request, in-process


def setup_django(database_url, static_root):
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_DATABASE_URL"] = database_url
    os.environ["BENCH_STATIC_ROOT"] = str(static_root)
    import django

    django.setup()


def prepare(scale, seed):
    """Migrate, collect static files, load the network; returns (targets, session, token)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    for warning in settings.BENCH_WARNINGS:
        say(f"  WARNING: {warning}")
    t = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    say(f"  migrated in {time.monotonic() - t:.1f} s")
    t = time.monotonic()
    call_command("collectstatic", verbosity=0, interactive=False)
    say(f"  collectstatic in {time.monotonic() - t:.1f} s")

    from bench import synthetic

    say(f"  loading the synthetic network at scale {scale:g} ...")
    summary = synthetic.generate(scale=scale, seed=seed)
    say(f"  {summary}")

    session_key, token = sign_in(summary.officer_person_id)

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would, after a bulk load
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connections.close_all()

    targets = build_targets(summary, synthetic.COMMON_SURNAME_QUERY)
    from bench import urls

    for problem in urls.BROKEN:
        say(f"  WARNING: URL module did not import (its pages will 404): {problem}")
    return targets, f"{settings.SESSION_COOKIE_NAME}={session_key}", f"Token {token}", summary


def sign_in(person_id):
    """A user for the AMS ROCB officer, a signed-in, two-factor-verified session, a token."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from rest_framework.authtoken.models import Token

    from cbnet.core.permissions import get_actor
    from cbnet.directory.models import Person

    user = get_user_model()(username="bench.rocb", email="bench.rocb@example.org")
    user.set_unusable_password()
    user.save()
    Person.objects.filter(pk=person_id).update(user=user)
    user = get_user_model().objects.get(pk=user.pk)
    actor = get_actor(user)
    if not actor.is_rocb:
        raise BenchError(f"the bench user is not an ROCB officer today: {actor}")
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "cbnet.directory.auth.AppointmentBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()  # writes the session row
    token, _ = Token.objects.get_or_create(user=user)
    return store.session_key, token.key


def _reverse(names, fallback, args=()):
    from django.urls import NoReverseMatch, reverse

    for name in names:
        try:
            return reverse(name, args=args), ""
        except NoReverseMatch:
            continue
    return fallback, f"URL name {names[0]} not found; used {fallback}"


def _search_param():
    """The person list's free-text filter parameter (the web helper's PersonFilter)."""
    try:
        from cbnet.directory.filters import PersonFilter
    except Exception:  # noqa: BLE001 - not written yet: use the planned name
        return "q"
    names = set(getattr(PersonFilter, "base_filters", {}))
    for candidate in ("q", "search", "text", "query"):
        if candidate in names:
            return candidate
    return "q"


def build_targets(summary, surname_query):
    org_id = summary.detail_organisation_id
    baseline, _ = _reverse(["bench_baseline"], "/bench/baseline/")
    people, people_note = _reverse(["directory:person_list"], "/directory/people/")
    orgs, orgs_note = _reverse(["directory:organisation_list"], "/directory/organisations/")
    detail, detail_note = _reverse(
        ["directory:organisation_detail"], f"/directory/organisations/{org_id}/", args=[org_id]
    )
    api, api_note = _reverse(
        ["api:directory-person-list", "api:person-list", "directory-api:person-list",
         "person-list"],
        "/api/directory/people/",
    )  # fmt: skip
    param = _search_param()
    people_count = summary.extra.get("detail_organisation_people")
    return [
        Target("baseline (50-row table)", baseline),
        Target("person list", people, note=people_note),
        Target("organisation list", orgs, note=orgs_note),
        Target(
            "organisation detail",
            detail,
            note=detail_note or f"administration #{org_id}, {people_count} people",
        ),
        Target(f"person search ?{param}={surname_query}", f"{people}?{param}={surname_query}",
               note=people_note),
        Target("API person list", api, api=True, note=api_note),
    ]  # fmt: skip


# --- the server -------------------------------------------------------------------------


class Server:
    def __init__(self, env, workers, log_path):
        self.env = env
        self.workers = workers
        self.log_path = log_path
        self.port = free_port()
        self.proc = None

    @property
    def base(self):
        return f"http://{HOST}:{self.port}"

    def start(self, probe_path, timeout=60):
        granian = Path(sys.executable).parent / "granian"
        if not granian.exists():
            granian = shutil.which("granian")
        cmd = [
            str(granian), "--interface", "wsgi", "--blocking-threads", "1",
            "--workers", str(self.workers), "--host", HOST, "--port", str(self.port),
            "cbnet.config.wsgi:application",
        ]  # fmt: skip
        log = open(self.log_path, "w")  # noqa: SIM115 - kept open for the server's life
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"granian exited (status {self.proc.returncode}):\n{self.log_tail()}"
                )
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    pass
                # The socket is open; wait until every worker answers.
                fetch(self.base + probe_path, {})
                if len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"granian did not come up in {timeout} s:\n{self.log_tail()}")

    def worker_pids(self):
        """Descendant processes of the granian master that run the application."""
        if self.proc is None:
            return []
        children = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            pid = int(stat.parent.name)
            ppid = int(text.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(pid)
        found, queue = [], [self.proc.pid]
        while queue:
            for child in children.get(queue.pop(), []):
                queue.append(child)
                try:
                    cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
                except OSError:
                    continue
                if b"resource_tracker" not in cmdline:
                    found.append(child)
        return found

    def reset_peaks(self):
        """Reset each worker's peak RSS (Linux: write 5 to /proc/<pid>/clear_refs)."""
        ok = True
        for pid in self.worker_pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                ok = False
        return ok

    def memory(self):
        """{pid: (VmHWM MB, VmRSS MB)} for each worker."""
        out = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            values = {}
            for line in status.splitlines():
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    values[key] = int(rest.split()[0]) / 1024
            out[pid] = (values.get("VmHWM", 0.0), values.get("VmRSS", 0.0))
        return out

    def log_tail(self, lines=30):
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers, timeout=30):
    """(status, body bytes, location) without following redirects."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=headers)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(), ""
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Location", "")


# --- load ------------------------------------------------------------------------------


def ensure_wrk():
    if shutil.which("wrk"):
        return shutil.which("wrk")
    say("wrk is missing: installing Debian's wrk (apt-get) ...")
    sudo = [] if os.getuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env, timeout=600)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env,
                   timeout=600, stdout=subprocess.DEVNULL)  # fmt: skip
    path = shutil.which("wrk")
    if not path:
        raise BenchError("wrk is not installed and could not be installed")
    return path


def run_wrk(wrk, url, seconds, connections, threads, env):
    cmd = [
        wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
        "--timeout", "10s", "-s", str(BENCH / "report.lua"), url,
    ]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line.removeprefix("BENCH_RESULT "))
    raise BenchError(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def measure(server, targets, cookie, authorization, args):
    wrk = ensure_wrk()
    measured = []
    for target in targets:
        # The API is called as API clients do: with the token only (no session cookie).
        headers = {"Accept-Language": "en"}
        if target.api:
            headers["Authorization"] = authorization
        else:
            headers["Cookie"] = cookie
        status, body, location = fetch(server.base + target.url, headers)
        target.status, target.bytes = status, len(body)
        if status != 200:
            target.problem = f"HTTP {status}" + (f" -> {location}" if location else "")
            say(f"  {target.name}: {target.problem} ({target.url}); not measured")
            if status >= 500:
                say("    server log:\n" + server.log_tail(15))
            continue
        measured.append(target)
    peaks_reset = True
    for round_no in range(1, args.rounds + 1):
        if args.rounds > 1:
            say(f"  round {round_no}/{args.rounds}")
        for target in measured:
            env = {
                **os.environ,
                "BENCH_COOKIE": "" if target.api else cookie,
                "BENCH_AUTHORIZATION": authorization if target.api else "",
            }
            url = server.base + target.url
            run_wrk(wrk, url, args.warmup, args.connections, args.threads, env)
            peaks_reset = server.reset_peaks() and peaks_reset
            result = run_wrk(wrk, url, args.duration, args.connections, args.threads, env)
            peak = max((hwm for hwm, _ in server.memory().values()), default=None)
            if peak is not None:
                target.peak_mb = max(peak, target.peak_mb or 0.0)
            target.rounds.append(result)
            p50, p95 = result["p50_us"] / 1000, result["p95_us"] / 1000
            say(
                f"    {target.name}: {rps(result):.0f} req/s, p50 {p50:.1f} ms, "
                f"p95 {p95:.1f} ms, {target.bytes // 1024} KiB"
            )
    baseline = targets[0]
    for target in measured:
        # Medians over the rounds; the ratio is taken within each round (the baseline ran
        # seconds before), then its median, so a slow round elsewhere on the machine does
        # not skew it.
        errors = {}
        for result in target.rounds:
            for key, value in result["errors"].items():
                errors[key] = errors.get(key, 0) + value
        ratios = [
            rps(result) / rps(base_result)
            for result, base_result in zip(target.rounds, baseline.rounds, strict=False)
            if rps(base_result)
        ]
        target.result = {
            "rps": statistics.median(rps(r) for r in target.rounds),
            "p50_ms": statistics.median(r["p50_us"] / 1000 for r in target.rounds),
            "p95_ms": statistics.median(r["p95_us"] / 1000 for r in target.rounds),
            "ratio": statistics.median(ratios) if ratios else None,
            "errors": errors,
        }
        if not peaks_reset:
            target.note = (target.note + "; " if target.note else "") + "peak since start"


def count_queries(targets, cookie, authorization, requests=10):
    """Per target, in this process (test client, same session): the SQL queries of one
    request and the CPU time per request (process time, so other load on the machine
    barely moves it; no server, no network, no concurrency)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    name, _, value = cookie.partition("=")
    for target in targets:
        client = Client(HTTP_HOST=HOST, raise_request_exception=False)
        headers = {"Accept-Language": "en"}
        if target.api:
            headers["Authorization"] = authorization
        else:
            client.cookies[name] = value
        try:
            client.get(target.url, headers=headers)  # warm caches first
            with CaptureQueriesContext(connection) as queries:
                response = client.get(target.url, headers=headers)
            if response.status_code != 200:
                continue
            target.queries = len(queries.captured_queries)
            started = time.process_time()
            for _ in range(requests):
                client.get(target.url, headers=headers)
            target.cpu_ms = (time.process_time() - started) / requests * 1000
        except Exception as error:  # noqa: BLE001 - reported in the table
            target.problem = f"in-process request failed: {error!r}"


def profile(targets, cookie, authorization, words, requests=100):
    """cProfile the matching targets in-process; prints queries and the hottest functions."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    name, _, value = cookie.partition("=")
    for target in targets:
        if not any(w in target.name.lower() for w in words):
            continue
        client = Client(HTTP_HOST=HOST, raise_request_exception=False)
        headers = {"Accept-Language": "en"}
        if target.api:
            headers["Authorization"] = authorization
        else:
            client.cookies[name] = value
        client.get(target.url, headers=headers)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(target.url, headers=headers)
        say(
            f"\n=== {target.name} ({target.url}): HTTP {response.status_code}, "
            f"{len(response.content) // 1024} KiB, {len(queries.captured_queries)} queries"
        )
        for query in queries.captured_queries:
            say(f"  {query['time']}s  {query['sql'][:160]}")
        started = time.perf_counter()
        for _ in range(requests):
            client.get(target.url, headers=headers)
        say(f"  {(time.perf_counter() - started) / requests * 1000:.2f} ms/request in-process")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(target.url, headers=headers)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(20)


def rps(result):
    return result["requests"] / (result["duration_us"] / 1e6) if result else 0.0


# --- report ----------------------------------------------------------------------------


def report(targets, memory, args, summary, vendor):
    say()
    say(
        f"CBNet benchmark - {vendor}, scale {args.scale:g} ({summary.people} people, "
        f"{summary.appointments} appointments), granian {args.workers} workers, "
        f"{os.cpu_count()} CPUs, "
        f"wrk {args.connections} connections x {args.duration} s (after {args.warmup} s warm-up)"
    )
    header = (
        f"{'target':<34} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'ratio':>6} "
        f"{'peak MB':>8} {'SQL':>4} {'CPU ms':>7}  verdict"
    )
    say(header)
    say("-" * len(header))
    rows = []
    for target in targets:
        if not target.result:
            dashes = " ".join(f"{'-':>{w}}" for w in (8, 8, 8, 6, 8, 4, 7))
            say(f"{target.name:<34} {dashes}  NOT MEASURED: {target.problem}")
            rows.append({"target": target.name, "url": target.url, "problem": target.problem})
            continue
        r = target.result
        ratio = r["ratio"] or 0.0
        errors = sum(r["errors"].values())
        verdict_ratio = ratio >= TARGET_RATIO
        verdict_mb = target.peak_mb is not None and target.peak_mb < TARGET_MB
        verdict = "PASS" if verdict_ratio and verdict_mb and not errors else "MISS"
        why = []
        if not verdict_ratio:
            why.append(f"ratio < {TARGET_RATIO}")
        if not verdict_mb:
            why.append(f">= {TARGET_MB} MB")
        if errors:
            why.append(f"{errors} errors/non-2xx")
        if not r["rps"]:
            verdict = "MISS"
            why.append(f"no request completed in {args.duration} s: raise --duration")
        peak = f"{target.peak_mb:.0f}" if target.peak_mb is not None else "?"
        sql = str(target.queries) if target.queries is not None else "?"
        cpu = f"{target.cpu_ms:.1f}" if target.cpu_ms is not None else "?"
        say(
            f"{target.name:<34} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r['rps']:>8.0f} {ratio:>6.2f} {peak:>8} {sql:>4} {cpu:>7}  {verdict}"
            + (f" ({', '.join(why)})" if why else "")
        )
        rows.append(
            {
                "target": target.name,
                "url": target.url,
                "p50_ms": r["p50_ms"],
                "p95_ms": r["p95_ms"],
                "requests_per_s": r["rps"],
                "ratio": ratio,
                "peak_mb": target.peak_mb,
                "queries": target.queries,
                "cpu_ms_in_process": target.cpu_ms,
                "rounds_requests_per_s": [rps(x) for x in target.rounds],
                "errors": r["errors"],
                "bytes": target.bytes,
                "verdict": verdict,
                "note": target.note,
            }
        )
    say("-" * len(header))
    say(
        f"standing target: ratio to the baseline >= {TARGET_RATIO} and < {TARGET_MB} MB per worker."
    )
    if args.rounds > 1:
        say(
            f"medians of {args.rounds} rounds; the ratio is taken within each round, then its "
            "median; peak MB is the max."
        )
    say(
        "SQL, CPU ms: queries and CPU time of one request in-process (test client, same "
        "session, no server): a cross-check of the ratio that other load on the machine "
        "barely moves."
    )
    say(
        "peak MB: the highest worker's peak resident memory (VmHWM) during that target; "
        "workers at the end: "
        + ", ".join(
            f"pid {pid} {hwm:.0f} MB peak / {rss:.0f} MB now" for pid, (hwm, rss) in memory.items()
        )
    )
    for target in targets:
        if target.note:
            say(f"note - {target.name}: {target.note}")
    return rows


# --- main ------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="CBNet benchmark (bench/README.md)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 20,000 people")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--duration", type=int, default=8, help="seconds measured per target")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per target")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat all targets; report each one's median"
    )
    parser.add_argument(
        "--profile",
        metavar="WORDS",
        help="instead of serving: cProfile the targets whose name contains one of these "
        "comma-separated words, in-process, and list their SQL",
    )
    db = parser.add_mutually_exclusive_group()
    db.add_argument(
        "--database-url",
        help="postgres://... of a server where a throwaway database is created and dropped",
    )
    db.add_argument(
        "--postgres", action="store_true", help="start a throwaway local PostgreSQL cluster"
    )
    parser.add_argument(
        "--only", help="comma-separated words: run only targets whose name contains one"
    )
    parser.add_argument(
        "--assessments-only",
        action="store_true",
        help="run only the assessments benchmark (bench/assessments.py), no server",
    )
    parser.add_argument(
        "--no-assessments", action="store_true", help="skip the assessments benchmark"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, log)")
    parser.add_argument("--max-minutes", type=float, default=30, help="abort after this long")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()

    def timeout(signum, frame):
        raise BenchError(f"aborted: the run exceeded --max-minutes {args.max_minutes:g}")

    signal.signal(signal.SIGALRM, timeout)
    signal.alarm(int(args.max_minutes * 60))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    tmp = Path(tempfile.mkdtemp(prefix="cbnet-bench."))
    cluster = database = server = None
    try:
        if args.postgres:
            cluster = ThrowawayPostgres(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
            say("starting a throwaway PostgreSQL cluster ...")
            args.database_url = cluster.start()
        if args.database_url:
            database = ThrowawayDatabase(args.database_url)
            database_url = database.create()
            say(f"database: PostgreSQL, throwaway database {database.name}")
        else:
            database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
            say(f"database: SQLite, {tmp / 'bench.sqlite3'}")

        setup_django(database_url, tmp / "static")
        targets, cookie, authorization, summary = prepare(args.scale, args.seed)
        assessment_rows = []
        if not args.no_assessments:
            from bench import assessments

            assessment_rows = assessments.run(args)
            if args.assessments_only:
                if args.json:
                    args.json.write_text(json.dumps({"assessments": assessment_rows}, indent=2))
                return 0
        if args.only:
            words = [w.strip().lower() for w in args.only.split(",") if w.strip()]
            targets = [targets[0]] + [
                t for t in targets[1:] if any(w in t.name.lower() for w in words)
            ]
        from django.db import connection, connections

        vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
        if args.profile:
            words = [w.strip().lower() for w in args.profile.split(",") if w.strip()]
            profile(targets, cookie, authorization, words)
            return 0
        count_queries(targets, cookie, authorization)
        connections.close_all()

        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "BENCH_DATABASE_URL": database_url,
            "BENCH_STATIC_ROOT": str(tmp / "static"),
            "PYTHONPATH": str(REPO),
        }
        server = Server(env, args.workers, tmp / "granian.log")
        say(f"starting granian ({args.workers} workers) on {HOST}:{server.port} ...")
        server.start(targets[0].url)
        measure(server, targets, cookie, authorization, args)
        memory = server.memory()
        rows = report(targets, memory, args, summary, vendor)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "vendor": vendor,
                        "scale": args.scale,
                        "rows": rows,
                        "assessments": assessment_rows,
                    },
                    indent=2,
                )
            )
        say(f"done in {time.monotonic() - started:.0f} s")
        return 0
    except BenchError as error:
        say(f"bench: {error}")
        return 1
    finally:
        signal.alarm(0)
        if server is not None:
            server.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if database is not None:
            try:
                database.drop()
            except Exception as error:  # noqa: BLE001
                say(f"bench: could not drop {database.name}: {error}")
        if cluster is not None:
            cluster.stop()
        if args.keep:
            say(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
