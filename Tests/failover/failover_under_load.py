#!/usr/bin/env python3
"""A pg_auto_failover failover under client-credentials load, with the production server binary (issue 20, item 4).

Standard library only; the load, the checks and the run's frame are Tests/restart/restart_under_load.py's (imported).
Each run:

1. starts a pg_auto_failover monitor and two nodes (`deploy/auto-failover.sh start DIR BASEPORT` with
   TESSERA_PAF_FAST_DETECTION=1, a free base port and the two after it, DIR in a temporary folder): node1 primary,
   node2 its synchronous standby (a commit returns once node2 has flushed it); the multi-host URL it prints,
   postgres://tessera@127.0.0.1:P1,127.0.0.1:P2/tessera?target_session_attrs=read-write&sslmode=disable, is the
   URL of every tessera command;
2. runs `tessera migrate`, `tessera tenant create`, and `tessera app create --json` twice, "loader" (client
   credentials) and "introspector" (`--introspect-any`), through that URL;
3. starts `tessera serve --port P --https-port 0 --metrics-port 0 --purge-interval 0 --shutdown-grace 5` with
   DATABASE_URL = the multi-host URL (with --single-host: node1's URL alone, the way a server that cannot follow a
   failover is configured today), and takes 100 tokens for the introspection load;
4. loads it as the restart test does: 8 threads loop POST /t/<tenant>/token, 4 threads POST /t/<tenant>/introspect
   on the 100 tokens, keep-alive connections with a 10 s client timeout, 50 ms pause after a failed answer, one
   thread polls GET /health/ready every 200 ms;
5. two faults in sequence, each after at least --steady (3 s) of load answered again:
   (a) "failover": `deploy/auto-failover.sh failover DIR` (`pg_autoctl perform failover`: the primary is demoted,
       the standby promoted; the old primary rejoins as the standby, the command returns then);
   (b) "crash": `deploy/auto-failover.sh stop-primary DIR` (SIGKILL of the primary node's pg_autoctl and
       PostgreSQL, as a crash of its host; the monitor sees it and promotes the standby, about 17 s later with fast
       detection). The old primary is not started again: the run ends on one node (wait_primary).
   The promotion is taken by this script: from the fault, every 100 ms, psql writes through the URL (target_session_
   attrs=read-write; a temporary table, then inet_server_port()); the promotion time is the start of the first such
   write that commits on another node than the old primary. (pg_auto_failover keeps a promoted node at
   default_transaction_read_only=on, which read-write clients pass over, until the monitor confirms the promotion:
   after a crash that is primary_demote_timeout, 10 s with fast detection, after PostgreSQL's own promotion.) The
   recovery time is from then to the end of the first /token answered 200 (the figure the assertion bounds:
   --recovery-bound, default 10 s);
6. stops the load; every token answered 200 (and the 100 of the pool) is introspected through the server, and also
   looked up (SHA-256, access_tokens.token_hash) directly in the database of the node that takes writes at the end;
   then SIGTERM, and the exit status is awaited.

Assertions (each counted; the last line is `N passed, M failed`):
- readiness 200 and tokens issued before the faults;
- per fault: a new primary takes writes through the URL within --promotion-limit (60 s); tokens answered 200 again
  within --recovery-bound (10 s) of it; readiness 200 again after it;
- every /token answer is 200 (with an access_token), 503 or a connection error; every /introspect answer is 200
  (JSON with `active`), 503 or a connection error; every 503 carries Retry-After; no client timeout (10 s: a hang);
  every answer (readiness included) within --latency-bound (8 s: the server's deadlines are 3 s to connect and 3 s
  per statement);
- introspection of the 100 live tokens under load never answered active:false (an outage is 503, not "inactive");
- zero lost: every token answered 200 is active afterwards (introspection through the server) and stored on the new
  primary (the direct lookup): a token answered 200 had been committed on the synchronous standby too;
- the server is still running after the load, and SIGTERM ends it with status 0 within the grace + 3 s.
Connection errors are allowed (a server may close a connection while its database changes) and counted per fault.

Figures printed per fault: promotion (fault -> new primary takes writes), recovery (promotion -> first token 200),
gap (the longest stretch without a token answered 200, from the last one before the fault to the first after the
promotion), 503s (/token, /introspect, /health/ready), connection errors, other answers, and the slowest answer,
from the fault to the next one (or the end).

Measured (2 cores, debug binary, 4 runs): promotion 1.8-2.1 s for `perform failover`, 15.6-17.5 s for the crash;
recovery (promotion -> first token 200) 0.65-1.50 s after `perform failover` and 0.24-1.22 s after the crash;
14-16 and 53-56 token 503s per fault, no connection error, slowest answer 3.14 s; 0 of 3,686-3,761 tokens per run
unknown afterwards. Before serve followed a failover (--single-host gives it one node, as it had to be configured
then), the failover fault failed: node1, demoted to a standby, answered every token INSERT "cannot execute INSERT in
a read-only transaction" (SQLSTATE 25006), which serve answered 500 (now 503), readiness stayed 503, and no token
came in the 18 s after the promotion.

The whole run is bounded (--hard-stop, 240 s a run): past it the run fails, and everything is stopped. The
cluster (`auto-failover.sh stop`, then SIGKILL of whatever still runs in its folder), the server and the run's
folder are always cleaned up (the folder is kept with --keep; after a hard stop everything in the cluster's
folder is SIGKILLed at once). One run takes about 65 s (cluster start 12-20 s, `perform failover` 4-9 s, crash
detection and promotion about 16 s, --single-host's 15 s wait for tokens that do not come).

Usage: python3 Tests/failover/failover_under_load.py --binary .build/debug/tessera [--runs K] [--single-host]
"""
import argparse
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in Tests/restart
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "restart"))
import restart_under_load as base  # noqa: E402

now = base.now
fmt = base.fmt
hard_stopping = threading.Event()  # set by a hard stop: its summary is the output's end


def say(*parts):
    if not hard_stopping.is_set():
        base.say(*parts)

AUTO_FAILOVER = os.path.join(base.REPO, "deploy", "auto-failover.sh")
PSQL = "/usr/lib/postgresql/15/bin/psql"  # pg_auto_failover's PostgreSQL (auto-failover.sh's PGBIN)
TENANT = "failover.test"


def free_base_port():
    """A port P such that P, P+1 and P+2 are free on 127.0.0.1, below the ephemeral range (which outgoing
    connections take from)."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        sockets = []
        try:
            for p in (port, port + 1, port + 2):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", p))
            if not any(os.path.exists(f"{d}/.s.PGSQL.{p}") for d in ("/tmp", "/var/run/postgresql")
                       for p in (port, port + 1, port + 2)):
                return port
        except OSError:
            pass
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no three consecutive free ports")


class HACluster:
    """deploy/auto-failover.sh's monitor (BASEPORT) and nodes node1 (BASEPORT+1), node2 (BASEPORT+2) in folder."""

    def __init__(self, folder):
        self.folder = folder
        self.baseport = free_base_port()
        self.url = None
        self.hurry = False  # a hard stop: no orderly stop, SIGKILL

    def environment(self):
        return dict(os.environ, TESSERA_PAF_FAST_DETECTION="1")

    def start(self):
        result = subprocess.run([AUTO_FAILOVER, "start", self.folder, str(self.baseport)], capture_output=True,
                                text=True, timeout=200, env=self.environment())
        if result.returncode != 0:
            raise RuntimeError(f"deploy/auto-failover.sh start failed: {result.stderr.strip()[-600:]}")
        self.url = result.stdout.strip().splitlines()[-1]
        return self.url

    def node_url(self, name):
        return f"postgres://tessera@127.0.0.1:{self.port(name)}/tessera?sslmode=disable"

    def port(self, name):
        return self.baseport + int(name[len("node"):])

    def name(self, port):
        return f"node{port - self.baseport}"

    def psql(self, url, sql, timeout=10, script=False):
        """psql as this user (psql runs as root; only the server refuses to); sql as -c, or as the script on stdin."""
        arguments = [PSQL, "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d", url] + (["-f", "-"] if script else ["-c", sql])
        return subprocess.run(arguments, input=sql if script else None, capture_output=True, text=True, timeout=timeout)

    def writer(self):
        """The node on which a write through the URL commits (a temporary table: nothing is left behind), or None."""
        try:
            result = self.psql(self.url + "&connect_timeout=2",
                               "CREATE TEMP TABLE probe (x int); INSERT INTO probe VALUES (1); SELECT inet_server_port()",
                               timeout=6)
        except subprocess.TimeoutExpired:
            return None
        if result.returncode != 0:
            return None
        try:
            return self.name(int(result.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            return None

    def unknown_tokens(self, node, tokens):
        """The tokens whose SHA-256 is not in access_tokens on node (read directly, not through a server)."""
        hashes = {hashlib.sha256(t.encode()).hexdigest(): t for t in tokens}
        sql = ("SELECT h FROM unnest('{" + ",".join(hashes) + "}'::text[]) AS h WHERE NOT EXISTS "
               "(SELECT 1 FROM access_tokens a WHERE a.token_hash = decode(h, 'hex'));\n")
        result = self.psql(self.node_url(node), sql, timeout=60, script=True)
        if result.returncode != 0:
            raise RuntimeError(f"token lookup on {node} failed: {result.stderr.strip()[-400:]}")
        return [hashes[h] for h in result.stdout.split()]

    def fault(self, command):
        """Starts `auto-failover.sh COMMAND DIR` (in a session of its own, to be killed as one)."""
        return subprocess.Popen([AUTO_FAILOVER, command, self.folder], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, env=self.environment(), start_new_session=True)

    def processes(self):
        """Every process running in the folder (pg_autoctl and runuser run in it, PostgreSQL in a node's folder)."""
        real = os.path.realpath(self.folder)
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    cwd = os.readlink(f"/proc/{entry}/cwd")
                except OSError:
                    continue
                if cwd == real or cwd.startswith(real + "/"):
                    found.append(int(entry))
        return found

    def stop_quietly(self):
        """`auto-failover.sh stop` (about 1 s; at most 30 s here), then SIGKILL of whatever still runs in the folder
        (all of it at once after a hard stop)."""
        if not self.hurry:
            try:
                subprocess.run([AUTO_FAILOVER, "stop", self.folder], capture_output=True, timeout=30)
            except Exception:
                pass
        deadline = now() + 10
        while now() < deadline:
            left = self.processes()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)


class FailoverRun(base.Run):
    tenant = TENANT
    folder_prefix = "tessera-failover."

    faulted = False
    fault_process = None  # the auto-failover.sh failover or stop-primary running
    logs_shown = False

    @property
    def log_files(self):
        """The server's log; pg_autoctl's too once a fault began (PostgreSQL's own are in paf/nodeN/log/, kept with
        --keep)."""
        return ("server.log",) + (("paf/failover.log", "paf/node1.log", "paf/node2.log") if self.faulted else ())

    def show_logs(self):
        if not self.logs_shown:  # once: a hard stop and the failed run it interrupts would both show them
            self.logs_shown = True
            super().show_logs()

    def hard_stop(self):
        hard_stopping.set()
        if self.cluster is not None:
            self.cluster.hurry = True
        super().hard_stop()

    def cleanup(self):
        process = self.fault_process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        super().cleanup()

    def setup(self):
        self.folder = tempfile.mkdtemp(prefix=self.folder_prefix)
        os.chmod(self.folder, 0o755)
        if not os.access(PSQL, os.X_OK):
            raise RuntimeError(f"no {PSQL}: pg_auto_failover is not installed (deploy/auto-failover.sh install)")
        self.cluster = HACluster(os.path.join(self.folder, "paf"))
        began = now()
        self.cluster.start()
        say(f"  cluster up in {now() - began:.1f} s: {self.cluster.url}")
        loader, introspector = self.provision()
        database_url = self.cluster.node_url("node1") if self.args.single_host else self.cluster.url
        try:
            port = self.start_server(database_url)
        except RuntimeError as exception:
            self.server_log.flush()
            with open(os.path.join(self.folder, "server.log"), errors="replace") as f:
                said = " | ".join(line.strip() for line in f.read().strip().splitlines()[-3:])
            raise RuntimeError(f"{exception} with DATABASE_URL={database_url}: {said or 'no output'}") from None
        say(f"  serve on DATABASE_URL={database_url}")
        return port, loader, introspector

    def cause(self, name, command):
        """Runs the fault; returns its dict: name, old (primary), new, at (the fault), promoted, said (the script's
        last line about the promotion)."""
        old = self.cluster.writer()
        if old is None:
            raise RuntimeError(f"{name}: no node takes writes through the URL before the fault")
        fault = {"name": name, "old": old, "at": now()}
        self.faulted = True
        process = self.fault_process = self.cluster.fault(command)
        said = []
        reader = threading.Thread(target=lambda: said.extend(process.stderr.read().splitlines()), daemon=True)
        reader.start()
        try:
            while "promoted" not in fault:
                began = now()
                node = self.cluster.writer()
                if node is not None and node != old:
                    fault["promoted"], fault["new"] = began, node
                elif now() > fault["at"] + self.args.promotion_limit:
                    break
                elif process.poll() is not None and process.returncode != 0:
                    reader.join(timeout=5)
                    raise RuntimeError(f"auto-failover.sh {command} exited {process.returncode}: {' | '.join(said[-5:])}")
                else:
                    time.sleep(max(0.0, 0.1 - (now() - began)))
            promoted = self.checks.check("promoted" in fault, f"{name}: a new primary takes writes within "
                                         f"{self.args.promotion_limit:g} s",
                                         f"{fault['old']} -> {fault['new']} after {fault['promoted'] - fault['at']:.2f} s"
                                         if "promoted" in fault else f"{old} still the only writer")
            if not promoted:
                raise RuntimeError(f"{name}: no promotion")
            # failover returns once the old primary is a standby again; stop-primary once it saw the promotion
            process.wait(timeout=max(5.0, fault["at"] + self.args.promotion_limit - now()))
            reader.join(timeout=5)
            if process.returncode != 0:
                raise RuntimeError(f"auto-failover.sh {command} exited {process.returncode}: {' | '.join(said[-5:])}")
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"auto-failover.sh {command} still running after {now() - fault['at']:.0f} s") from None
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        fault["said"] = [line for line in said if " is primary" in line or "returned after" in line]
        say(f"  {name}: {fault['old']} -> {fault['new']}, writes through the URL commit {fault['promoted'] - fault['at']:.2f} s "
            f"after the fault; auto-failover.sh {command} returned after {now() - fault['at']:.2f} s"
            + "".join(f"\n    auto-failover.sh: {line}" for line in fault["said"]))
        return fault

    def execute(self):
        mode = "node1 alone (--single-host)" if self.args.single_host else "the multi-host URL"
        say(f"run {self.number}: setting up (pg_auto_failover, serve on {mode}, binary {self.args.binary})")
        port, loader, introspector = self.setup()
        pool = self.take_tokens(port, loader, 100)
        load = base.Load(port, loader, introspector, pool, tenant=self.tenant)
        load.start(self.args.token_threads, self.args.introspect_threads)
        load_began = now()
        time.sleep(self.args.warmup)
        faults = []
        for name, command in (("failover", "failover"), ("crash", "stop-primary")):
            fault = self.cause(name, command)
            faults.append(fault)
            self.figures = faults
            self.wait_recovered(load, fault["promoted"], self.args.recovery_bound + 5)
            time.sleep(self.args.steady)
        load_ended_at = now()
        stopped = load.finish()
        self.analyse(load, faults, load_began, load_ended_at, stopped)
        c = self.checks

        answered = {r[5]: r[2] for r in load.records if r[0] == "token" and r[3] == 200 and r[5]}
        tokens = list(answered) + pool

        def when(lost):
            times = sorted(answered.get(t, load_began) - load_began for t in lost)
            return (f" (answered from +{times[0]:.2f} to +{times[-1]:.2f} s; faults at "
                    + ", ".join(f"+{f['at'] - load_began:.2f} s" for f in faults) + ")") if lost else ""

        began = now()
        inactive, unanswered, retries = base.introspect_all(port, introspector, tokens, tenant=self.tenant)
        c.check(not inactive and not unanswered, "every token answered 200 is active afterwards (through the server)",
                f"{len(tokens)} tokens introspected in {now() - began:.1f} s, {len(inactive)} inactive{when(inactive)}, "
                f"{len(unanswered)} unanswered{(' e.g. ' + str(unanswered[0][1])) if unanswered else ''}"
                f"{f', {retries} retries after a 503' if retries else ''}")
        primary = self.cluster.writer()
        if c.check(primary is not None, "a node takes writes at the end", primary or "none"):
            unknown = self.cluster.unknown_tokens(primary, tokens)
            c.check(not unknown, f"every token answered 200 is stored on the new primary ({primary})",
                    f"{len(tokens)} looked up, {len(unknown)} unknown{when(unknown)}")

        alive = self.server.poll() is None
        c.check(alive, "the server is still running after the load", "" if alive else f"exited {self.server.returncode}")
        if alive:
            sent = now()
            self.server.send_signal(signal.SIGTERM)
            bound = self.grace + 3
            try:
                code = self.server.wait(timeout=bound)
                c.check(code == 0, f"SIGTERM: exit 0 within {bound} s", f"exit {code} after {now() - sent:.2f} s")
            except subprocess.TimeoutExpired:
                c.check(False, f"SIGTERM: exit 0 within {bound} s", "still running")

    def analyse(self, load, faults, load_began, load_ended_at, stopped):
        records = list(load.records)
        ready = list(load.ready)
        c = self.checks
        bound = self.args.recovery_bound
        c.check(stopped, "every load thread ended", "" if stopped else "a thread still waits on a request")
        first_fault = faults[0]["at"]
        before = [r for r in records if r[2] < first_fault]
        c.check(any(r[0] == "token" and r[3] == 200 for r in before), "tokens issued before the faults",
                f"{sum(1 for r in before if r[0] == 'token' and r[3] == 200)} tokens in {first_fault - load_began:.1f} s")
        c.check(any(status == 200 for _, end, status in ready if end < first_fault), "readiness 200 before the faults")

        def failure(status):
            return isinstance(status, str) and status.startswith("error")

        for i, fault in enumerate(faults):
            phase_end = faults[i + 1]["at"] if i + 1 < len(faults) else float("inf")
            phase = [r for r in records if fault["at"] <= r[2] < phase_end]
            promoted = fault["promoted"]
            ok = sorted(r[2] for r in phase if r[0] == "token" and r[3] == 200)
            after = [end for end in ok if end > promoted]
            recovery = after[0] - promoted if after else None
            # the longest stretch without a token answered 200, from the last one before the fault to the first
            # one after the promotion (what a client sees of the fault)
            last_before = max([r[2] for r in records if r[0] == "token" and r[3] == 200 and r[2] < fault["at"]], default=None)
            stretch = ([last_before] if last_before is not None else []) + [end for end in ok if end <= after[0]] if after else []
            gap = max((b - a for a, b in zip(stretch, stretch[1:])), default=None)
            c.check(recovery is not None and recovery <= bound, f"{fault['name']}: tokens again within {bound:g} s of the promotion",
                    f"recovery {recovery:.2f} s" if recovery is not None else
                    f"no token answered 200 in the {min(phase_end, load_ended_at) - promoted:.1f} s after the promotion; "
                    f"answers since: {summary(r for r in phase if r[0] == 'token' and r[2] > promoted)}")
            ready_after = [end for start, end, s in ready if start >= promoted and end < phase_end and s == 200]
            ready_delay = ready_after[0] - promoted if ready_after else None
            c.check(ready_delay is not None, f"{fault['name']}: readiness 200 after the promotion",
                    f"{ready_delay:.2f} s after it" if ready_delay is not None else "never")
            fault.update(
                recovery=recovery, ready_delay=ready_delay,
                gap=gap,
                token_503=sum(1 for r in phase if r[0] == "token" and r[3] == 503),
                introspect_503=sum(1 for r in phase if r[0] == "introspect" and r[3] == 503),
                errors=sum(1 for r in phase if failure(r[3])),
                other=sum(1 for r in phase if r[3] not in (200, 503) and not failure(r[3])),
                requests=len(phase),
                max_latency=max((r[2] - r[1] for r in phase), default=0.0),
                ready_503=sum(1 for _, end, s in ready if fault["at"] <= end < phase_end and s == 503),
            )
        self.check_answers(records, ready, load_began, load_ended_at, first_fault, summary=summary, say=say)


def summary(records):
    """'N x 200, M x 503, ...' of the answers' statuses (a transport error by its first words)."""
    counts = {}
    for r in records:
        key = r[3] if not isinstance(r[3], str) else r[3].split(":")[0] + (": " + r[3].split(":")[1].strip() if ":" in r[3] else "")
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} x {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    base.add_common_arguments(parser, hard_stop=240.0)
    parser.add_argument("--single-host", action="store_true",
                        help="serve gets node1's URL only (a server that does not follow a failover): the failing case")
    parser.add_argument("--promotion-limit", type=float, default=60.0, help="seconds from a fault to a new primary")
    parser.add_argument("--recovery-bound", type=float, default=10.0, help="seconds from a promotion to a token")
    args = parser.parse_args()
    if not base.wait_for_binary(args, say=say):
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    checks = base.Checks()
    began = now()
    runs = base.run_each(args, lambda number: FailoverRun(args, number, checks), say=say)
    say("")
    say("per fault: promotion = from the fault to the first write through the URL committing on the new primary; "
        "recovery = from then to the first token answered 200; gap = the longest stretch without a token 200, from the "
        "last one before the fault to the first after the promotion; 503 / conn err / other = answers from the fault to the next one (or the end); max latency "
        "over the same span")
    say(f"{'run':>3}  {'fault':8}  {'nodes':14}  {'promotion s':>11}  {'recovery s':>10}  {'gap s':>6}  {'503 token':>9}  "
        f"{'503 introspect':>14}  {'503 ready':>9}  {'conn err':>8}  {'other':>5}  {'max latency s':>13}")
    for run in runs:
        for f in run.figures:
            promotion = f["promoted"] - f["at"] if "promoted" in f else None
            say(f"{run.number:>3}  {f['name']:8}  {f['old'] + ' -> ' + f.get('new', '?'):14}  {fmt(promotion):>11}  "
                f"{fmt(f.get('recovery')):>10}  {fmt(f.get('gap')):>6}  {f.get('token_503', '-'):>9}  "
                f"{f.get('introspect_503', '-'):>14}  {f.get('ready_503', '-'):>9}  {f.get('errors', '-'):>8}  "
                f"{f.get('other', '-'):>5}  {f.get('max_latency', 0):>13.2f}")
    return base.report_end(args, checks, began, say=say)


if __name__ == "__main__":
    sys.exit(main())
