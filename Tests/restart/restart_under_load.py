#!/usr/bin/env python3
"""PostgreSQL killed and fast-stopped under load, with the production composition (issue 20, Deliver item 8).

Standard library only. Each run:

1. starts a throwaway PostgreSQL (`deploy/postgres.sh start DIR PORT fast`, or durable with `--postgres durable`),
   runs `tessera migrate`, `tessera tenant create`, and `tessera app create --json` twice: "loader" (client
   credentials) and "introspector" (`--introspect-any`, a resource server that may introspect every token);
2. starts `tessera serve --port P --https-port 0 --metrics-port 0 --purge-interval 0 --shutdown-grace 5` (the
   binary given with --binary) and takes 100 tokens for the introspection load;
3. loads it: 8 threads loop POST /t/<tenant>/token (client_credentials, HTTP Basic), 4 threads loop POST
   /t/<tenant>/introspect on those 100 tokens, each on a keep-alive connection (reconnecting after an error) with a
   10 s client timeout, pausing 50 ms after a 503 as a client honouring Retry-After would (without hammering);
   one thread polls GET /health/ready every 200 ms;
4. two faults in sequence, each followed by a restart with `deploy/postgres.sh start` about 2 s later:
   (a) kill -9 of the postmaster, then of every process of the cluster (orphaned backends survive a postmaster
   kill -9; they are found by their working directory, the data directory, so other clusters are left alone);
   (b) `deploy/postgres.sh stop` (pg_ctl -m fast). The moment the database accepts connections again is taken
   with pg_isready (polled every 50 ms while the start runs); the recovery time is from then to the first token
   answered 200;
5. stops the load, introspects every token answered 200 (8 threads), sends SIGTERM and waits for exit 0.

Assertions (each counted; the last line is `N passed, M failed`, which the CI reads):
- readiness 200 and tokens issued before the faults;
- per fault: readiness 503 during the outage and 200 after; tokens again within --recovery-bound (10 s) of the
  database accepting connections (the measured figure is printed);
- every /token answer is 200 (with an access_token) or 503; every /introspect answer is 200 (JSON with `active`)
  or 503; every 503 carries Retry-After; no connection error (the server stays up) and no client timeout (a hang);
  every answer (readiness included) within --latency-bound (8 s: the server's deadlines are 3 s to connect and
  3 s per statement);
- introspection of the 100 live tokens under load never answered active:false (an outage is 503, not "inactive");
- every token answered 200 is active afterwards;
- the server is still running after the load, and SIGTERM ends it with status 0 within the grace + 3 s.

The whole run is bounded (--hard-stop, 180 s a run): past it the run fails, and everything is stopped. The
cluster, the server and the run's folder are always cleaned up (the folder is kept with --keep).

Usage: python3 Tests/restart/restart_under_load.py --binary .build/debug/tessera [--runs K] [--postgres durable]
"""
import argparse
import base64
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

now = time.monotonic
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POSTGRES_SH = os.path.join(REPO, "deploy", "postgres.sh")
TENANT = "restart.test"
CLIENT_TIMEOUT = 10.0
PAUSE_AFTER_503 = 0.05


def say(*parts):
    print(*parts, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def basic(key, secret):
    quote = lambda s: urllib.parse.quote(s, safe="")  # RFC 6749 §2.3.1: form-urlencoded, then Basic
    return "Basic " + base64.b64encode(f"{quote(key)}:{quote(secret)}".encode()).decode()


def become_subreaper():
    """Orphans of this process tree (the postmaster pg_ctl leaves behind, backends orphaned by a kill -9) are
    reparented to this process, which reaps them: a postmaster that stays a zombie would make the restart refuse
    ("lock file postmaster.pid already exists"), and this machine's init reaps only now and then."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except Exception:
        return False


def reap(pid):
    """Reaps pid if it is a dead child of this process; True once it is gone (or never was a child)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    except ChildProcessError:
        return not process_alive(pid)


def process_alive(pid):
    """True while pid runs; a zombie counts as dead."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def process_exists(pid):
    """True while pid is in the process table, zombies included (what PostgreSQL's lock file check sees)."""
    return os.path.exists(f"/proc/{pid}")


# ---------------------------------------------------------------------------------------------- checks


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []
        self.closed = False
        self.lock = threading.Lock()

    def check(self, ok, name, detail=""):
        with self.lock:
            if self.closed:  # after a hard stop: the main thread's last words are not assertions
                return ok
            if ok:
                self.passed += 1
            else:
                self.failed += 1
                self.failures.append(f"{name}: {detail}")
        say(f"  {'ok  ' if ok else 'FAIL'}  {name}" + (f": {detail}" if detail else ""))
        return ok


# ---------------------------------------------------------------------------------------------- PostgreSQL


class Cluster:
    def __init__(self, folder, mode):
        self.folder = folder
        self.data = os.path.join(folder, "data")
        self.port = free_port()
        self.mode = mode
        self.url = None
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in p.split("/")[-2].split(".") if x.isdigit()])
        self.bin = bins[-1] if bins else None
        self.postmasters = set()  # every postmaster pid seen, to reap

    def start_command(self):
        command = [POSTGRES_SH, "start", self.folder, str(self.port)]
        return command + (["fast"] if self.mode == "fast" else [])

    def environment(self):
        """fast turns synchronous_commit off as well as fsync: a commit is then acknowledged before its WAL is
        even written to the kernel, and a kill -9 of PostgreSQL loses the last ~100 ms of acknowledged tokens
        (seen here: 19-21 tokens answered 200 in the 60 ms before the kill were unknown afterwards). That is the
        operator's choice of durability, not a Tessera fault, so the cluster runs with synchronous_commit on:
        WAL reaches the kernel before the commit returns, which survives any process kill. fsync stays off
        (it only matters if the machine itself goes down)."""
        env = dict(os.environ)
        if self.mode == "fast":
            env["TESSERA_PG_OPTIONS"] = (env.get("TESSERA_PG_OPTIONS", "") + " -c synchronous_commit=on").strip()
        return env

    def start(self):
        result = subprocess.run(self.start_command(), capture_output=True, text=True, timeout=90, env=self.environment())
        if result.returncode != 0:
            raise RuntimeError(f"deploy/postgres.sh start failed: {result.stderr.strip()[-600:]}")
        self.url = result.stdout.strip().splitlines()[-1]
        self.note_postmaster()
        return self.url

    def accepting(self):
        return subprocess.run([os.path.join(self.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port),
                                "-U", "tessera", "-d", "postgres", "-t", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    def restart_timed(self):
        """Starts the cluster again; returns (the time the start began, the first time pg_isready said it accepts
        connections, the time deploy/postgres.sh returned)."""
        self.wait_postmasters_gone()
        began = now()
        starting = subprocess.Popen(self.start_command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=self.environment())
        up = None
        while up is None:
            if self.accepting():
                up = now()
                break
            if starting.poll() is not None:
                break
            time.sleep(0.05)
        out, err = starting.communicate(timeout=90)
        if starting.returncode != 0:
            raise RuntimeError(f"restart failed: {err.strip()[-600:]}")
        if up is None:
            up = now() if self.accepting() else None
        if up is None:
            raise RuntimeError("restart: deploy/postgres.sh returned but pg_isready does not see the cluster")
        self.note_postmaster()
        return began, up, now()

    def postmaster_pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None

    def note_postmaster(self):
        pid = self.postmaster_pid()
        if pid:
            self.postmasters.add(pid)

    def processes(self):
        """Every live process of this cluster: PostgreSQL's processes all run in the data directory."""
        real = os.path.realpath(self.data)
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.readlink(f"/proc/{entry}/cwd") == real:
                    found.append(int(entry))
            except OSError:
                pass
        return found

    def kill9(self):
        """kill -9 of the postmaster, then of what it leaves (backends, checkpointer, ...)."""
        pid = self.postmaster_pid()
        if pid is None:
            raise RuntimeError("no postmaster.pid to kill")
        children = [p for p in self.processes() if p != pid]
        os.kill(pid, signal.SIGKILL)
        killed = {pid, *children}
        deadline = now() + 10
        while now() < deadline:
            left = self.processes()
            for p in left:
                killed.add(p)
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for p in list(killed):
                reap(p)
            if not left:
                break
            time.sleep(0.02)
        return len(killed)

    def fast_stop(self):
        result = subprocess.run([POSTGRES_SH, "stop", self.folder], capture_output=True, text=True, timeout=90)
        if result.returncode != 0:
            raise RuntimeError(f"deploy/postgres.sh stop failed: {result.stderr.strip()[-600:]}")
        self.wait_postmasters_gone()

    def wait_postmasters_gone(self, limit=10):
        """Reaps the postmasters that have died; waits (up to limit seconds) until none of them is left in the
        process table, where PostgreSQL's lock file check would take a zombie for a running postmaster."""
        deadline = now() + limit
        while True:
            for pid in list(self.postmasters):
                if not process_alive(pid):
                    reap(pid)
                    if not process_exists(pid):
                        self.postmasters.discard(pid)
            if all(process_alive(p) for p in self.postmasters) or now() > deadline:
                return
            time.sleep(0.05)

    def stop_quietly(self):
        try:
            subprocess.run([POSTGRES_SH, "stop", self.folder], capture_output=True, timeout=60)
        except Exception:
            pass
        for p in self.processes():  # whatever a stop could not end
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in list(self.postmasters):
            reap(pid)


# ---------------------------------------------------------------------------------------------- HTTP


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects after an error or a close."""

    def __init__(self, port, timeout=CLIENT_TIMEOUT):
        self.port = port
        self.timeout = timeout
        self.http = None

    def request(self, method, path, body=None, headers=None):
        """Returns (status, Retry-After or None, body); raises on a transport error (after closing)."""
        if self.http is None:
            self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.http.request(method, path, body=body, headers=headers or {})
            response = self.http.getresponse()
            data = response.read()
        except Exception:
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, response.getheader("Retry-After"), data

    def close(self):
        if self.http is not None:
            self.http.close()
            self.http = None


def transport_error(exception):
    if isinstance(exception, (socket.timeout, TimeoutError)):
        return "timeout"
    return f"error: {type(exception).__name__}: {exception}"


class Load:
    """The load threads and their records: (kind, start, end, status or "timeout"/"error: ...", Retry-After
    present, detail) where detail is the token for a 200 token, the active flag for a 200 introspection."""

    def __init__(self, port, loader, introspector, pool, tenant=TENANT):
        self.port = port
        self.token_path = f"/t/{tenant}/token"
        self.introspect_path = f"/t/{tenant}/introspect"
        self.loader = basic(loader["consumer_key"], loader["consumer_secret"])
        self.introspector = basic(introspector["consumer_key"], introspector["consumer_secret"])
        self.pool = pool
        self.stop = threading.Event()
        self.records = []  # list.append is atomic in CPython
        self.ready = []  # (start, end, status or error)
        self.last_token = 0.0  # end time of the latest 200 token
        self.threads = []

    def token_worker(self):
        connection = Connection(self.port)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": self.loader}
        while not self.stop.is_set():
            start = now()
            try:
                status, retry_after, body = connection.request("POST", self.token_path, "grant_type=client_credentials", headers)
            except Exception as exception:
                self.records.append(("token", start, now(), transport_error(exception), False, None))
                time.sleep(PAUSE_AFTER_503)
                continue
            end = now()
            detail = None
            if status == 200:
                try:
                    detail = json.loads(body)["access_token"]
                except (ValueError, KeyError):
                    detail = ""
                self.last_token = end
            else:
                detail = body[:200].decode(errors="replace")
            self.records.append(("token", start, end, status, retry_after is not None, detail))
            if status != 200:
                time.sleep(PAUSE_AFTER_503)
        connection.close()

    def introspect_worker(self, offset):
        connection = Connection(self.port)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": self.introspector}
        index = offset
        while not self.stop.is_set():
            token = self.pool[index % len(self.pool)]
            index += 1
            start = now()
            try:
                status, retry_after, body = connection.request("POST", self.introspect_path, "token=" + token, headers)
            except Exception as exception:
                self.records.append(("introspect", start, now(), transport_error(exception), False, None))
                time.sleep(PAUSE_AFTER_503)
                continue
            end = now()
            detail = None
            if status == 200:
                try:
                    detail = json.loads(body)["active"]
                except (ValueError, KeyError):
                    detail = "no active member: " + body[:200].decode(errors="replace")
            else:
                detail = body[:200].decode(errors="replace")
            self.records.append(("introspect", start, end, status, retry_after is not None, detail))
            if status != 200:
                time.sleep(PAUSE_AFTER_503)
        connection.close()

    def ready_worker(self):
        connection = Connection(self.port)
        while not self.stop.is_set():
            start = now()
            try:
                status, _, _ = connection.request("GET", "/health/ready")
            except Exception as exception:
                status = transport_error(exception)
            self.ready.append((start, now(), status))
            self.stop.wait(max(0.0, 0.2 - (now() - start)))
        connection.close()

    def start(self, token_threads, introspect_threads):
        targets = [self.token_worker] * token_threads
        targets += [lambda i=i: self.introspect_worker(i * 25) for i in range(introspect_threads)]
        targets += [self.ready_worker]
        for target in targets:
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)
        return all(not t.is_alive() for t in self.threads)


def introspect_all(port, introspector, tokens, threads=8, tenant=TENANT):
    """Introspects every token; returns (inactive tokens, tokens not answered 200 after retries, 503 retries)."""
    authorization = basic(introspector["consumer_key"], introspector["consumer_secret"])
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": authorization}
    inactive, unanswered, retries = [], [], [0]
    lock = threading.Lock()

    def worker(part):
        connection = Connection(port)
        for token in part:
            outcome = None
            for attempt in range(4):
                try:
                    status, _, body = connection.request("POST", f"/t/{tenant}/introspect", "token=" + token, headers)
                except Exception as exception:
                    outcome = transport_error(exception)
                    continue
                if status == 200:
                    outcome = json.loads(body).get("active")
                    break
                outcome = f"status {status}"
                with lock:
                    retries[0] += 1
                time.sleep(0.5)
            with lock:
                if outcome is True:
                    pass
                elif outcome is False:
                    inactive.append(token)
                else:
                    unanswered.append((token, outcome))
        connection.close()

    parts = [tokens[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=worker, args=(part,), daemon=True) for part in parts]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return inactive, unanswered, retries[0]


# ---------------------------------------------------------------------------------------------- one run


class Run:
    # What a subclass (Tests/failover/failover_under_load.py) changes: the tenant, the run's folder, the logs shown
    # after a failure (paths in the folder).
    tenant = TENANT
    folder_prefix = "tessera-restart."
    log_files = ("server.log", "pg/postgres.log")

    def __init__(self, args, number, checks):
        self.args = args
        self.number = number
        self.checks = checks
        self.folder = None
        self.cluster = None
        self.server = None
        self.server_log = None
        self.cleaned = False
        self.cleanup_lock = threading.Lock()
        self.figures = []  # per fault: dict
        self.grace = None

    def tessera(self, *arguments, timeout=60):
        env = dict(os.environ, DATABASE_URL=self.cluster.url)
        result = subprocess.run([self.args.binary, *arguments], capture_output=True, text=True, env=env, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"tessera {' '.join(arguments)} exited {result.returncode}: {result.stderr.strip()[-400:]}")
        return result.stdout

    def cleanup(self):
        with self.cleanup_lock:
            if self.cleaned:
                return
            self.cleaned = True
            if self.server is not None and self.server.poll() is None:
                self.server.kill()
                try:
                    self.server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            if self.cluster is not None:
                self.cluster.stop_quietly()
            if self.server_log is not None:
                self.server_log.close()
            if self.folder is not None:
                if self.args.keep:
                    say(f"  files kept: {self.folder}")
                else:
                    shutil.rmtree(self.folder, ignore_errors=True)

    def show_logs(self):
        for name in self.log_files:
            path = os.path.join(self.folder or "", name)
            if self.folder and os.path.exists(path):
                with open(path, errors="replace") as f:
                    lines = f.readlines()[-25:]
                say(f"  --- {name} (last {len(lines)} lines)")
                for line in lines:
                    say("  | " + line.rstrip()[:300])

    def setup(self):
        self.folder = tempfile.mkdtemp(prefix=self.folder_prefix)
        os.chmod(self.folder, 0o755)
        self.cluster = Cluster(os.path.join(self.folder, "pg"), self.args.postgres)
        if self.cluster.bin is None:
            raise RuntimeError("PostgreSQL is not installed (deploy/postgres.sh install)")
        self.cluster.start()
        loader, introspector = self.provision()
        port = self.start_server(self.cluster.url)
        return port, loader, introspector

    def provision(self):
        """tessera migrate, the tenant and its two applications (through self.cluster.url); returns (loader,
        introspector), each `app create --json`'s object."""
        self.tessera("migrate")
        self.tessera("tenant", "create", self.tenant)
        loader = json.loads(self.tessera("app", "create", "--tenant", self.tenant, "--name", "loader", "--json"))
        introspector = json.loads(self.tessera("app", "create", "--tenant", self.tenant, "--name", "introspector", "--introspect-any", "--json"))
        return loader, introspector

    def start_server(self, database_url):
        """Starts `tessera serve` with DATABASE_URL=database_url (its output in server.log) and waits until
        /health/live answers 200; returns its port."""
        port = free_port()
        arguments = [self.args.binary, "serve", "--port", str(port), "--https-port", "0", "--metrics-port", "0",
                     "--purge-interval", "0", "--log-level", "notice", "--data-dir", os.path.join(self.folder, "tessera")]
        help_text = subprocess.run([self.args.binary, "serve", "--help"], capture_output=True, text=True).stdout
        if "--shutdown-grace" in help_text:
            self.grace = self.args.shutdown_grace
            arguments += ["--shutdown-grace", str(self.grace)]
        else:
            self.grace = 10
            say("  note: this binary has no --shutdown-grace; its default (10 s assumed) bounds the exit")
        self.server_log = open(os.path.join(self.folder, "server.log"), "w")
        env = dict(os.environ, DATABASE_URL=database_url)
        self.server = subprocess.Popen(arguments, stdout=self.server_log, stderr=subprocess.STDOUT, env=env, cwd=self.folder)
        deadline = now() + 60
        while True:
            if self.server.poll() is not None:
                raise RuntimeError(f"tessera serve exited {self.server.returncode} at start")
            try:
                probe = Connection(port, timeout=2)
                status, _, _ = probe.request("GET", "/health/live")
                probe.close()
                if status == 200:
                    break
            except Exception:
                pass
            if now() > deadline:
                raise RuntimeError("tessera serve did not answer /health/live within 60 s")
            time.sleep(0.1)
        return port

    def take_tokens(self, port, loader, count):
        connection = Connection(port)
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Authorization": basic(loader["consumer_key"], loader["consumer_secret"])}
        tokens = []
        for _ in range(count):
            status, _, body = connection.request("POST", f"/t/{self.tenant}/token", "grant_type=client_credentials", headers)
            if status != 200:
                raise RuntimeError(f"a token before the load: status {status}: {body[:200]!r}")
            tokens.append(json.loads(body)["access_token"])
        connection.close()
        return tokens

    def wait_recovered(self, load, up, limit):
        """Waits (up to limit s after up) for a 200 token ending after up and a readiness 200 sent after up."""
        while now() < up + limit:
            ready = any(start >= up and status == 200 for start, _, status in list(load.ready))
            if load.last_token > up and ready:
                return True
            time.sleep(0.05)
        return False

    def execute(self):
        say(f"run {self.number}: setting up (PostgreSQL {self.args.postgres}, binary {self.args.binary})")
        port, loader, introspector = self.setup()
        pool = self.take_tokens(port, loader, 100)
        load = Load(port, loader, introspector, pool)
        load.start(self.args.token_threads, self.args.introspect_threads)
        load_began = now()
        time.sleep(self.args.warmup)
        faults = []
        for name in ("kill -9", "fast stop"):
            fault = {"name": name, "at": now()}
            if name == "kill -9":
                fault["processes"] = self.cluster.kill9()
            else:
                self.cluster.fast_stop()
            fault["down"] = now()
            time.sleep(max(0.0, fault["at"] + self.args.down - now()))
            fault["start"], fault["up"], fault["started"] = self.cluster.restart_timed()
            say(f"  {name}: database down {fault['down'] - fault['at']:.2f} s after the fault, accepting again "
                f"{fault['up'] - fault['at']:.2f} s after it")
            self.wait_recovered(load, fault["up"], self.args.recovery_bound + 5)
            time.sleep(self.args.steady)
            faults.append(fault)
        load_ended_at = now()
        stopped = load.finish()
        self.analyse(load, faults, load_began, load_ended_at, stopped, pool)
        answered = {r[5]: r[2] for r in load.records if r[0] == "token" and r[3] == 200 and r[5]}
        tokens = list(answered) + pool
        began = now()
        inactive, unanswered, retries = introspect_all(port, introspector, tokens)
        where = ""
        if inactive:  # when they were answered, against the faults
            times = sorted(answered.get(t, load_began) - load_began for t in inactive)
            where = (f" (answered from +{times[0]:.2f} to +{times[-1]:.2f} s; faults at "
                     + ", ".join(f"+{f['at'] - load_began:.2f} s" for f in faults) + ")")
        self.checks.check(not inactive and not unanswered, "every token answered 200 is active afterwards",
                          f"{len(tokens)} tokens introspected in {now() - began:.1f} s, {len(inactive)} inactive{where}, "
                          f"{len(unanswered)} unanswered{(' e.g. ' + str(unanswered[0][1])) if unanswered else ''}"
                          f"{f', {retries} retries after a 503' if retries else ''}")
        alive = self.server.poll() is None
        self.checks.check(alive, "the server is still running after the load", "" if alive else f"exited {self.server.returncode}")
        if alive:
            # The shutdown must end even with the database gone and requests waiting on it: kill it first, keep
            # a few token requests in flight, then SIGTERM.
            self.cluster.kill9()
            def waiting_request():
                try:
                    Connection(port).request("POST", load.token_path, "grant_type=client_credentials",
                                             {"Content-Type": "application/x-www-form-urlencoded",
                                              "Authorization": loader})
                except Exception:
                    pass
            for _ in range(4):
                threading.Thread(target=waiting_request, daemon=True).start()
            time.sleep(0.5)
            sent = now()
            self.server.send_signal(signal.SIGTERM)
            bound = self.grace + 3
            try:
                code = self.server.wait(timeout=bound)
                self.checks.check(code == 0, f"SIGTERM with the database down: exit 0 within {bound} s", f"exit {code} after {now() - sent:.2f} s")
            except subprocess.TimeoutExpired:
                self.checks.check(False, f"SIGTERM with the database down: exit 0 within {bound} s", "still running")

    def analyse(self, load, faults, load_began, load_ended_at, stopped, pool):
        records = list(load.records)
        ready = list(load.ready)
        c = self.checks
        c.check(stopped, "every load thread ended", "" if stopped else "a thread still waits on a request")
        first_fault = faults[0]["at"]
        before = [r for r in records if r[2] < first_fault]
        c.check(any(r[0] == "token" and r[3] == 200 for r in before), "tokens issued before the faults",
                f"{sum(1 for r in before if r[0] == 'token' and r[3] == 200)} tokens in {first_fault - load_began:.1f} s")
        c.check(any(status == 200 for _, end, status in ready if end < first_fault), "readiness 200 before the faults")
        for i, fault in enumerate(faults):
            phase_end = faults[i + 1]["at"] if i + 1 < len(faults) else float("inf")
            phase = [r for r in records if fault["at"] <= r[2] < phase_end]
            outage_503 = [s for start, end, s in ready if fault["at"] <= end <= fault["up"] and s == 503]
            c.check(bool(outage_503), f"{fault['name']}: readiness 503 during the outage",
                    f"{len(outage_503)} probes answered 503 in the {fault['up'] - fault['at']:.1f} s outage")
            ready_after = [end for start, end, s in ready if start >= fault["up"] and end < phase_end and s == 200]
            ready_delay = ready_after[0] - fault["up"] if ready_after else None
            c.check(ready_delay is not None, f"{fault['name']}: readiness 200 after the restart",
                    f"{ready_delay:.2f} s after the database accepted connections" if ready_delay is not None else "never")
            ok_after = sorted(r[2] for r in records if r[0] == "token" and r[3] == 200 and r[2] > fault["up"] and r[2] < phase_end)
            recovery = ok_after[0] - fault["up"] if ok_after else None
            c.check(recovery is not None and recovery <= self.args.recovery_bound,
                    f"{fault['name']}: tokens again within {self.args.recovery_bound:g} s",
                    f"recovery {recovery:.2f} s" if recovery is not None else "no token after the restart")
            failed = [r for r in phase if r[3] != 200]
            fault.update(
                recovery=recovery, ready_delay=ready_delay,
                token_503=sum(1 for r in phase if r[0] == "token" and r[3] == 503),
                introspect_503=sum(1 for r in phase if r[0] == "introspect" and r[3] == 503),
                other_failures=sum(1 for r in failed if r[3] != 503),
                requests=len(phase),
                max_latency=max((r[2] - r[1] for r in phase), default=0.0),
                ready_503=sum(1 for _, end, s in ready if fault["at"] <= end < phase_end and s == 503),
            )
        self.figures = faults
        self.check_answers(records, ready, load_began, load_ended_at, first_fault)
        for f in faults:
            say(f"  {f['name']:9}: recovery {fmt(f['recovery'])} s, readiness 200 after {fmt(f['ready_delay'])} s; "
                f"503s: {f['token_503']} /token, {f['introspect_503']} /introspect, {f['ready_503']} /health/ready; "
                f"max latency {f['max_latency']:.2f} s over {f['requests']} requests")

    def check_answers(self, records, ready, load_began, load_ended_at, first_fault, summary=None, say=say):
        """The checks on every answer of the load, then a note of the failures before the faults and the load's line.
        With summary (the failover test's: records -> "N x 200, M x 503, ..."), a connection error is an allowed
        answer and the answers are counted by it; without it, a connection error fails "no connection error"."""
        c = self.checks

        def describe(rs, limit=3):
            return "; ".join(f"{r[0]} at +{r[1] - load_began:.1f} s: {r[3]} {str(r[5])[:100] if r[5] is not None else ''}".strip()
                             for r in rs[:limit])

        def error(status):
            return isinstance(status, str) and status.startswith("error")

        tokens = [r for r in records if r[0] == "token"]
        introspections = [r for r in records if r[0] == "introspect"]
        answers = "200, 503 or a connection error" if summary else "200 or 503"
        for path, rs, valid in (("/token", tokens, bool), ("/introspect", introspections, lambda body: isinstance(body, bool))):
            bad = [r for r in rs if not ((r[3] == 200 and valid(r[5])) or r[3] == 503 or (summary and error(r[3])))]
            c.check(not bad, f"every {path} answer is {answers}",
                    f"{len(rs)} requests" + (f", {summary(rs)}" if summary else "")
                    + ((f"; e.g. {describe(bad)}" if summary else f"; {len(bad)} others: {describe(bad)}") if bad else ""))
        inactive = [r for r in introspections if r[3] == 200 and r[5] is False]
        c.check(not inactive, "introspection of live tokens under load never answered active:false",
                f"{len(inactive)} inactive: {describe(inactive)}" if inactive else "")
        no_retry = [r for r in records if r[3] == 503 and not r[4]]
        c.check(not no_retry, "every 503 carries Retry-After",
                f"{sum(1 for r in records if r[3] == 503)} answers 503" + (f", {len(no_retry)} without" if no_retry else ""))
        if not summary:
            errors = [r for r in records if error(r[3])]
            ready_errors = [s for _, _, s in ready if error(s)]
            c.check(not errors and not ready_errors, "no connection error (the server stayed up)",
                    f"{len(errors)} request errors, {len(ready_errors)} readiness errors" + (f": {describe(errors)}" if errors else ""))
        timeouts = [r for r in records if r[3] == "timeout"]
        ready_timeouts = [s for _, _, s in ready if s == "timeout"]
        c.check(not timeouts and not ready_timeouts, f"no hang (no client timeout at {CLIENT_TIMEOUT:g} s)",
                f"{len(timeouts)} request timeouts, {len(ready_timeouts)} readiness timeouts" + (f": {describe(timeouts)}" if timeouts else ""))
        latencies = [(r[2] - r[1], r) for r in records] + [(end - start, ("ready", start, end, s, None, None)) for start, end, s in ready]
        worst = max(latencies, key=lambda x: x[0], default=(0.0, None))
        slow = [r for lat, r in latencies if lat > self.args.latency_bound]
        c.check(not slow, f"every answer within {self.args.latency_bound:g} s",
                f"max latency {worst[0]:.2f} s ({worst[1][0] if worst[1] else '-'})" + (f"; {len(slow)} slower" if slow else ""))
        quiet = [r for r in records if r[2] < first_fault and r[3] != 200]
        if quiet:
            say(f"  note: {len(quiet)} requests not answered 200 before any fault: {describe(quiet)}")
        say(f"  load: {len(tokens)} token requests ({sum(1 for r in tokens if r[3] == 200)} answered 200), "
            f"{len(introspections)} introspections, {len(ready)} readiness probes in {load_ended_at - load_began:.1f} s")

    def run(self):
        watchdog = threading.Timer(self.args.hard_stop, self.hard_stop)
        watchdog.daemon = True
        watchdog.start()
        try:
            self.execute()
        except Exception as exception:
            self.checks.check(False, f"run {self.number} completed", f"{type(exception).__name__}: {exception}")
        finally:
            watchdog.cancel()
            if self.checks.failed:
                self.show_logs()
            self.cleanup()

    def hard_stop(self):
        self.checks.check(False, f"run {self.number} within {self.args.hard_stop:g} s", "hard stop")
        self.checks.closed = True
        self.show_logs()
        self.cleanup()
        say(f"{self.checks.passed} passed, {self.checks.failed} failed")
        os._exit(1)


def fmt(value):
    return "-" if value is None else f"{value:.2f}"


def add_common_arguments(parser, hard_stop):
    """The options the restart and the failover tests share; each adds its own."""
    parser.add_argument("--binary", default=os.path.join(REPO, ".build", "debug", "tessera"))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--token-threads", type=int, default=8)
    parser.add_argument("--introspect-threads", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before the first fault")
    parser.add_argument("--steady", type=float, default=3.0, help="seconds of load after a recovery")
    parser.add_argument("--latency-bound", type=float, default=8.0)
    parser.add_argument("--shutdown-grace", type=int, default=5)
    parser.add_argument("--hard-stop", type=float, default=hard_stop, help="seconds a run may take")
    parser.add_argument("--keep", action="store_true", help="keep each run's folder (logs, cluster)")


def wait_for_binary(args, say=say):
    """args.binary made absolute; False (with the one failed check printed) when no executable shows up."""
    args.binary = os.path.abspath(args.binary)
    for _ in range(30):  # the binary may be relinked at this moment
        if os.access(args.binary, os.X_OK):
            return True
        time.sleep(2)
    say(f"no executable at {args.binary}")
    say("0 passed, 1 failed")
    return False


def run_each(args, make_run, say=say):
    """Runs make_run(number) args.runs times, cleaning every run up however it ends; returns the runs."""
    runs = []
    try:
        for number in range(1, args.runs + 1):
            run = make_run(number)
            runs.append(run)
            started = now()
            run.run()
            say(f"run {number}: {time.strftime('%H:%M:%S')}, {now() - started:.1f} s")
    finally:
        for run in runs:
            run.cleanup()
    return runs


def report_end(args, checks, began, say=say):
    """The failures, the time taken and the `N passed, M failed` line the CI reads; the exit status."""
    for failure in checks.failures:
        say(f"failed: {failure}")
    say(f"{args.runs} run(s) in {now() - began:.0f} s")
    say(f"{checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_arguments(parser, hard_stop=180.0)
    parser.add_argument("--postgres", choices=("fast", "durable"), default="fast",
                        help="fast: fsync off (tests); durable: deploy/postgres.sh's durable settings (bench)")
    parser.add_argument("--down", type=float, default=2.0, help="seconds from a fault to the restart")
    parser.add_argument("--recovery-bound", type=float, default=10.0)
    args = parser.parse_args()
    if not wait_for_binary(args):
        return 1
    if not become_subreaper():
        say("note: not a child subreaper; a killed postmaster is reaped by init, which may delay the restart")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    checks = Checks()
    began = now()
    runs = run_each(args, lambda number: Run(args, number, checks))
    say("")
    say("per fault: db down = from the fault to PostgreSQL accepting connections again; recovery = from then to the "
        "first token answered 200; ready 200 = from then to the first readiness 200; 503 = answers 503 from the "
        "fault to the next one (or the end); other = answers neither 200 nor 503; max latency over the same span")
    say(f"{'run':>3}  {'fault':9}  {'db down s':>9}  {'recovery s':>10}  {'ready 200 s':>11}  {'503 token':>9}  {'503 introspect':>14}  {'other':>5}  {'max latency s':>13}")
    for run in runs:
        for f in run.figures:
            down = f["up"] - f["at"] if "up" in f else None
            say(f"{run.number:>3}  {f['name']:9}  {fmt(down):>9}  {fmt(f.get('recovery')):>10}  {fmt(f.get('ready_delay')):>11}  "
                f"{f.get('token_503', '-'):>9}  {f.get('introspect_503', '-'):>14}  {f.get('other_failures', '-'):>5}  "
                f"{f.get('max_latency', 0):>13.2f}")
    return report_end(args, checks, began)


if __name__ == "__main__":
    sys.exit(main())
