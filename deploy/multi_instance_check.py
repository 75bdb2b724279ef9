#!/usr/bin/env python3
"""The load, the kill and the checks of deploy/multi-instance.sh (run by it; standard library only).

Given three running `tessera serve` instances, nginx balancing them and three applications of one tenant, it

1. loads nginx with client_credentials token requests from --threads threads (keep-alive connections) for
   --duration seconds, recording each request's start and end, status, the instance that answered (the
   X-Upstream header the test's nginx copy adds) and the token received; at --kill-at seconds it SIGKILLs
   instance --kill and at --restart-at seconds starts it again on the same port;
2. checks that every failed request was in flight on the killed instance: answered for that instance (nginx's
   X-Upstream), started before the process was gone (plus --kill-grace-ms: nginx may still write a request on
   an idle keep-alive connection to the instance before it has noticed that connection close) and answered
   within --failure-window seconds after the kill;
3. introspects every token received, each on an instance other than the one that issued it (directly, not
   through nginx), with an application allowed to introspect any token: all must be active;
4. measures how fast a change made through one place is seen by every instance: a token revoked through each
   instance in turn (/revoke; the token issued by the next instance) against introspection on the other two;
   an application disabled with the CLI (`tessera app disable`) against /token (401) and introspection of its
   earlier token on all three; enabled again (200); its tokens revoked with `tessera token revoke` against
   introspection. Each must hold on every instance within --propagation-limit seconds of the change
   returning, and stay so;
5. prints a summary and exits 1 if any rule is broken.

All times are time.monotonic() of this one process, so the kill and the requests share a clock.
"""
import argparse
import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

now = time.monotonic


class Connection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port; reconnects after an error or a close."""

    def __init__(self, port, timeout=35):
        self.port = port
        self.timeout = timeout
        self.http = None

    def post(self, path, form, authorization=None):
        """Returns (status, body, X-Upstream); raises OSError/HTTPException on a transport error."""
        if self.http is None:
            self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if authorization:
            headers["Authorization"] = authorization
        try:
            self.http.request("POST", path, body=urllib.parse.urlencode(form), headers=headers)
            response = self.http.getresponse()
            body = response.read()
        except Exception:
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, body, response.getheader("X-Upstream")

    def close(self):
        if self.http is not None:
            self.http.close()
            self.http = None


def basic(key, secret):
    quote = lambda s: urllib.parse.quote(s, safe="")  # RFC 6749 §2.3.1: form-urlencoded, then Basic
    return "Basic " + base64.b64encode(f"{quote(key)}:{quote(secret)}".encode()).decode()


def upstream_port(header):
    """The port of the instance that gave the final answer ("127.0.0.1:A, 127.0.0.1:B" after a retry)."""
    if not header:
        return None
    last = header.split(",")[-1].strip()
    try:
        return int(last.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


def process_gone(pid):
    """True once pid is dead: gone, or a zombie its parent (the shell) has not reaped yet."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:  # no such file, or ESRCH when it is reaped between the open and the read
        return True


def answers(port):
    connection = Connection(port, timeout=1)
    try:
        connection.post("/token", {})
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------- the load


class Load:
    def __init__(self, args, credentials):
        self.args = args
        self.path = f"/t/{args.tenant}/token"
        self.authorization = basic(credentials["load"]["consumer_key"], credentials["load"]["consumer_secret"])
        self.records = []  # (start, end, status or None, upstream header, token or None, error text)
        self.stop_at = None

    def worker(self):
        connection = Connection(self.args.nginx_port)
        form = {"grant_type": "client_credentials"}
        while now() < self.stop_at:
            start = now()
            status, upstream, token, error = None, None, None, ""
            try:
                status, body, upstream = connection.post(self.path, form, self.authorization)
            except Exception as exception:  # transport error (nginx itself should never cause one)
                error = f"{type(exception).__name__}: {exception}"
            else:
                try:
                    token = json.loads(body)["access_token"] if status == 200 else None
                except (ValueError, KeyError):
                    pass
                if token is None:
                    error = body[:200].decode(errors="replace")
            self.records.append((start, now(), status, upstream, token, error))
        connection.close()

    def run(self, instances, victim):
        """Runs the load; kills and restarts instances[victim] on schedule. Returns the event times."""
        args = self.args
        began = now()
        self.stop_at = began + args.duration
        threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(args.threads)]
        for thread in threads:
            thread.start()
        events = {"began": began}
        instance = instances[victim]
        time.sleep(max(0, began + args.kill_at - now()))
        events["kill"] = now()
        os.kill(instance["pid"], getattr(signal, "SIG" + args.signal))
        events["kill_sent"] = now()
        while not process_gone(instance["pid"]):
            time.sleep(0.001)
        events["dead"] = now()
        time.sleep(max(0, began + args.restart_at - now()))
        events["restart"] = now()
        instance["pid"] = start_instance(args, instance)
        while not answers(instance["port"]):
            if process_gone(instance["pid"]):
                raise SystemExit(f"the restarted instance exited; see {instance['log']}")
            time.sleep(0.02)
        events["ready"] = now()
        for thread in threads:
            thread.join()
        events["end"] = now()
        return events


def start_instance(args, instance):
    """Starts `tessera serve` on the instance's port again (same options as the shell script); returns its pid."""
    log = open(instance["log"], "ab")
    process = subprocess.Popen(
        [args.binary, "serve", "--port", str(instance["port"]), "--purge-interval", "0", "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=os.environ.copy())
    log.close()
    with open(instance["pid_file"], "w") as pid_file:  # the shell's cleanup stops whatever pid is here
        pid_file.write(f"{process.pid}\n")
    return process.pid


# -------------------------------------------------------------------------------------- introspect all


def introspect_all(args, credentials, tokens, ports):
    """tokens: [(token, issuing port or None)]. Each is introspected on another instance, round robin.
    Returns (checked, inactive list, errors list, per-port counts)."""
    authorization = basic(credentials["resource"]["consumer_key"], credentials["resource"]["consumer_secret"])
    load_key = credentials["load"]["consumer_key"]
    path = f"/t/{args.tenant}/introspect"
    inactive, errors = [], []
    counts = {port: 0 for port in ports}
    lock = threading.Lock()
    jobs = []
    for index, (token, issuer) in enumerate(tokens):
        others = [port for port in ports if port != issuer]
        jobs.append((token, issuer, others[index % len(others)]))

    def worker(share):
        connections = {port: Connection(port) for port in ports}
        for token, issuer, port in share:
            try:
                status, body, _ = connections[port].post(path, {"token": token}, authorization)
                answer = json.loads(body) if status == 200 else None
            except Exception as exception:
                with lock:
                    errors.append(f"{port}: {type(exception).__name__}: {exception}")
                continue
            with lock:
                counts[port] += 1
                if answer is None:
                    errors.append(f"{port}: status {status}: {body[:200]!r}")
                elif not answer.get("active") or answer.get("client_id") != load_key:
                    inactive.append((token[:16] + "...", issuer, port, answer))
        for connection in connections.values():
            connection.close()

    threads = [threading.Thread(target=worker, args=(jobs[i::args.introspect_threads],))
               for i in range(args.introspect_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(jobs), inactive, errors, counts


# --------------------------------------------------------------------------------------- propagation


class Poller(threading.Thread):
    """Asks one instance the same question in a loop; each answer is True (the change is seen), False (not
    yet) or None (an unexpected answer). Keeps (start, end, answer)."""

    def __init__(self, port, ask):
        super().__init__(daemon=True)
        self.port, self.ask = port, ask
        self.results = []
        self.halt = threading.Event()

    def run(self):
        connection = Connection(self.port, timeout=5)
        while not self.halt.is_set():
            start = now()
            try:
                seen = self.ask(connection)
            except Exception:
                seen = None
            self.results.append((start, now(), seen))
            time.sleep(0.002)
        connection.close()


def measure(pollers, change, limit, settle=1.0, timeout=6.0):
    """Starts the pollers, runs change(), and measures per poller how long after change() returned the change
    was seen for good (and whether it then held for `settle` seconds). Returns (rows, ms change() took)."""
    for poller in pollers:
        poller.start()
    time.sleep(0.3)  # before the change: the old answer, on every instance
    began = now()
    change()
    done = now()
    deadline = done + timeout
    while now() < deadline:
        time.sleep(0.05)
        seen = [seen_since(p.results, done) for p in pollers]
        if all(at is not None and now() - at >= settle for at in seen):
            break
    for poller in pollers:
        poller.halt.set()
    for poller in pollers:
        poller.join()
    rows = []
    for poller in pollers:
        before = [seen for start, end, seen in poller.results if end < began]
        seen_at = seen_since(poller.results, done)
        row = {
            "port": poller.port,
            "polls": len(poller.results),
            "old_answer_before": bool(before) and all(seen is False for seen in before),
            "delay_ms": None if seen_at is None else (seen_at - done) * 1000,
            "delay_from_start_ms": None if seen_at is None else (seen_at - began) * 1000,
            "held_ms": 0 if seen_at is None else (poller.results[-1][1] - seen_at) * 1000,
            "unexpected": sum(1 for _, _, seen in poller.results if seen is None),
        }
        row["ok"] = (row["old_answer_before"] and seen_at is not None and row["delay_ms"] <= limit * 1000
                     and row["held_ms"] >= settle * 1000 * 0.9 and row["unexpected"] == 0)
        rows.append(row)
    return rows, (done - began) * 1000


def seen_since(results, done):
    """End time of the first answer of the final run of True answers that reaches past `done`, i.e. from
    when on the change was seen for good; None if the last answer is not True."""
    if not results or results[-1][2] is not True:
        return None
    index = len(results) - 1
    while index > 0 and results[index - 1][2] is True:
        index -= 1
    return results[index][1]


def cli(args, *command):
    done = subprocess.run([args.binary, *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"tessera {' '.join(command[:2])} exited {done.returncode}: {done.stderr.strip()}")


def issue(port, tenant, authorization):
    connection = Connection(port)
    status, body, _ = connection.post(f"/t/{tenant}/token", {"grant_type": "client_credentials"}, authorization)
    connection.close()
    if status != 200:
        raise SystemExit(f"token from instance :{port} answered {status}: {body[:200]!r}")
    return json.loads(body)["access_token"]


def consistency(args, credentials, ports):
    """The propagation checks; returns [(what changed, what is asked, rows)]."""
    tenant, limit = args.tenant, args.propagation_limit
    load = basic(credentials["load"]["consumer_key"], credentials["load"]["consumer_secret"])
    victim_key = credentials["victim"]["consumer_key"]
    victim = basic(victim_key, credentials["victim"]["consumer_secret"])
    resource = basic(credentials["resource"]["consumer_key"], credentials["resource"]["consumer_secret"])

    def inactive(token):  # True once introspection says inactive
        def ask(connection):
            status, body, _ = connection.post(f"/t/{tenant}/introspect", {"token": token}, resource)
            return None if status != 200 else json.loads(body).get("active") is False
        return ask

    def victim_token(connection):  # the victim's credentials at /token: 401 or 200
        status, _, _ = connection.post(f"/t/{tenant}/token", {"grant_type": "client_credentials"}, victim)
        return {401: "refused", 200: "accepted"}.get(status)

    refused = lambda connection: {"refused": True, "accepted": False}.get(victim_token(connection))
    accepted = lambda connection: {"accepted": True, "refused": False}.get(victim_token(connection))

    def run_cli(*command):
        return lambda: cli(args, *command)

    checks = []
    # A token revoked through each instance in turn, against introspection on the other two; each token is
    # issued by the next instance, so that the one revoking did not issue it.
    for number, through in enumerate(ports):
        token = issue(ports[(number + 1) % len(ports)], tenant, load)

        def revoke(through=through, token=token):
            connection = Connection(through)
            status, body, _ = connection.post(f"/t/{tenant}/revoke", {"token": token}, load)
            connection.close()
            if status != 200:
                raise SystemExit(f"revoke through :{through} answered {status}: {body[:200]!r}")

        rows, took = measure([Poller(port, inactive(token)) for port in ports if port != through], revoke, limit)
        checks.append((f"token revoked through :{through} (POST /revoke, {took:.0f} ms)",
                       "introspect: active=false", rows))

    # An application disabled with the CLI: its credentials and its earlier tokens, on all three instances.
    for port in ports:
        issue(port, tenant, victim)  # every instance now has the application in its cache
    earlier = {port: issue(port, tenant, victim) for port in ports}
    pollers = [Poller(port, refused) for port in ports] + [Poller(port, inactive(earlier[port])) for port in ports]
    rows, took = measure(pollers, run_cli("app", "disable", "--tenant", tenant, "--consumer-key", victim_key), limit)
    checks.append((f"app disable (CLI, {took:.0f} ms)", "/token with its key: 401", rows[:len(ports)]))
    checks.append((f"app disable (CLI, {took:.0f} ms)", "its earlier token: active=false", rows[len(ports):]))

    rows, took = measure([Poller(port, accepted) for port in ports],
                         run_cli("app", "enable", "--tenant", tenant, "--consumer-key", victim_key), limit)
    checks.append((f"app enable (CLI, {took:.0f} ms)", "/token with its key: 200", rows))

    # All of an application's tokens revoked with the CLI (one watermark row): introspection on all three.
    fresh = {port: issue(port, tenant, victim) for port in ports}
    rows, took = measure([Poller(port, inactive(fresh[port])) for port in ports],
                         run_cli("token", "revoke", "--tenant", tenant, "--consumer-key", victim_key), limit)
    checks.append((f"token revoke --consumer-key (CLI, {took:.0f} ms)", "introspect: active=false", rows))
    return checks


# -------------------------------------------------------------------------------------------- report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", required=True, help="the run's folder: credentials.json, tessera<N>.pid/.log")
    parser.add_argument("--binary", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--nginx-port", type=int, required=True)
    parser.add_argument("--ports", required=True, help="the instances' ports, comma-separated")
    parser.add_argument("--kill", type=int, default=2, help="which instance to kill, 1-based (2)")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--duration", type=float, default=24)
    parser.add_argument("--kill-at", type=float, default=7)
    parser.add_argument("--restart-at", type=float, default=12)
    parser.add_argument("--failure-window", type=float, default=1.0,
                        help="a failed request must end this soon after the kill (s)")
    parser.add_argument("--kill-grace-ms", type=float, default=20,
                        help="a failed request may start this long after the killed process was gone: nginx may "
                             "still write it on an idle keep-alive connection to the dead instance (MULTI-INSTANCE.md)")
    parser.add_argument("--signal", default="KILL", choices=["KILL", "TERM"],
                        help="KILL (the test), or TERM to see what a graceful stop costs")
    parser.add_argument("--propagation-limit", type=float, default=1.0)
    parser.add_argument("--introspect-threads", type=int, default=8)
    args = parser.parse_args()

    with open(os.path.join(args.work, "credentials.json")) as file:
        credentials = json.load(file)
    ports = [int(port) for port in args.ports.split(",")]
    instances = []
    for number, port in enumerate(ports, 1):
        pid_file = os.path.join(args.work, f"tessera{number}.pid")
        with open(pid_file) as file:
            pid = int(file.read())
        instances.append({"port": port, "pid": pid, "pid_file": pid_file,
                          "log": os.path.join(args.work, f"tessera{number}.log")})
    victim = args.kill - 1
    killed_port = ports[victim]
    broken = []

    def rule(ok, text):
        if not ok:
            broken.append(text)
        return "ok" if ok else "BROKEN"

    # 1. The load, the kill, the restart.
    load = Load(args, credentials)
    events = load.run(instances, victim)
    records = sorted(load.records)
    began, kill = events["began"], events["kill"]
    rel = lambda t: (t - began)
    ok = [r for r in records if r[2] == 200 and r[4]]
    failed = [r for r in records if not (r[2] == 200 and r[4])]
    by_status = {}
    for r in records:
        key = "transport error" if r[2] is None else r[2] if r[2] != 200 or r[4] else "200 without a token"
        by_status[key] = by_status.get(key, 0) + 1
    phases = [("before the kill", began, kill), ("kill to restart", kill, events["restart"]),
              ("after the restart", events["restart"], events["end"] + 1)]
    served = {phase: {port: 0 for port in ports} for phase, _, _ in phases}
    unknown_upstream = 0
    retried = 0
    for start, end, status, upstream, token, error in ok:
        port = upstream_port(upstream)
        if port is None:
            unknown_upstream += 1
            continue
        if "," in upstream:
            retried += 1
        for phase, low, high in phases:
            if low <= end < high:
                served[phase][port] += 1
    back = [r for r in ok if upstream_port(r[3]) == killed_port and r[0] >= events["ready"]]
    in_flight = [r for r in records if r[0] < events["kill_sent"] and r[1] > kill]

    print()
    gone_ms = 1000 * (events["dead"] - kill)
    print(f"load: {args.threads} threads through nginx for {args.duration:.0f} s; instance {args.kill} "
          f"(:{killed_port}) sent SIG{args.signal} at {rel(kill):.3f} s (gone {gone_ms:.1f} ms later), "
          f"restarted at {rel(events['restart']):.3f} s, answering at {rel(events['ready']):.3f} s")
    print(f"  requests {len(records)}, {len(records) / (events['end'] - began):.0f}/s; statuses "
          + ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items(), key=str)))
    on_killed = [r for r in in_flight if upstream_port(r[3]) == killed_port]
    print(f"  in flight when the kill was sent: {len(in_flight)}, {len(on_killed)} of them on the killed instance "
          f"({sum(1 for r in on_killed if r[2] != 200)} failed)")
    print(f"  answered after nginx retried on another instance (connection refused by the dead one): {retried}")
    print("  200s by instance     " + "  ".join(f":{port}" + ("*" if port == killed_port else "") for port in ports))
    for phase, _, _ in phases:
        print(f"    {phase:<18} " + "  ".join(f"{served[phase][port]:>6}" for port in ports))
    if unknown_upstream:
        print(f"    (no X-Upstream on {unknown_upstream} answers)")
    first_back = min((r[1] for r in back), default=None)
    print(f"  the restarted instance answered its first request through nginx at "
          + (f"{rel(first_back):.3f} s" if first_back else "never"))

    print(f"  failures (ms relative to the signal; the process was gone at {gone_ms:.1f}):")
    print("    #   status  start     end  instance  answer")
    for number, (start, end, status, upstream, token, error) in enumerate(failed, 1):
        print(f"    {number:<3} {str(status):<6} {1000 * (start - kill):>7.1f} {1000 * (end - kill):>7.1f}  "
              f"{upstream or '-':<9} {error[:60]}")
    if not failed:
        print("    none")
    late_start = [r for r in failed if r[0] > events["dead"] + args.kill_grace_ms / 1000]
    late_end = [r for r in failed if r[1] > kill + args.failure_window]
    early_end = [r for r in failed if r[1] < kill]
    elsewhere = [r for r in failed if upstream_port(r[3]) != killed_port]  # no X-Upstream counts too
    results = [
        (f"every failure started before the killed process was gone (+{args.kill_grace_ms:.0f} ms)",
         rule(not late_start, "a request failed that started after the killed instance was gone")),
        (f"every failure ended after the kill and within {args.failure_window * 1000:.0f} ms of it",
         rule(not late_end and not early_end, "a request failed outside the kill's window")),
        ("every failure was answered for the killed instance",
         rule(not elsewhere, "a request failed on a live instance")),
        ("the restarted instance is back behind nginx", rule(bool(back), "the restarted instance got no request")),
    ]

    # 2. Every token received, introspected on another instance than the one that issued it.
    tokens = [(r[4], upstream_port(r[3])) for r in ok]
    started = now()
    checked, inactive, errors, counts = introspect_all(args, credentials, tokens, ports)
    seconds = now() - started
    print()
    print(f"introspection of every token received: {checked} tokens in {seconds:.1f} s, each on an instance other "
          f"than its issuer (" + ", ".join(f":{p} {n}" for p, n in counts.items()) + f"); "
          f"active: {checked - len(inactive) - len(errors)}, inactive: {len(inactive)}, errors: {len(errors)}")
    for item in (inactive + errors)[:10]:
        print(f"    {item}")
    results.append(("every token received is active on another instance",
                    rule(checked == len(ok) and not inactive and not errors, "a token received is not active")))

    # 3. Propagation.
    print()
    print(f"propagation: ms from the change returning until each instance gives the new answer for good "
          f"(negative: before the CLI process had exited); limit {args.propagation_limit * 1000:.0f} ms")
    checks = consistency(args, credentials, ports)
    print(f"  {'change':<50} {'asked':<33} " + "".join(f"{':' + str(p):>6} " for p in ports))
    for change, asked, rows in checks:
        cells = {row["port"]: row for row in rows}
        line = f"  {change:<50} {asked:<33} "
        for port in ports:
            row = cells.get(port)
            if row is None:
                line += f"{'-':>6} "
            elif row["delay_ms"] is None:
                line += f"{'never':>6}!"
            else:
                line += f"{round(row['delay_ms']) + 0:>6d}{' ' if row['ok'] else '!'}"
        print(line)
        for row in rows:
            if not row["ok"]:
                print(f"    :{row['port']}: {row}")
        results.append((f"{change.split(' (')[0]}: {asked}", rule(all(row["ok"] for row in rows),
                                                                 f"{change}: {asked} too late or not at all")))

    print()
    print("rules:")
    for text, verdict in results:
        print(f"  {verdict:<6} {text}")
    if broken:
        print(f"\nFAILED: {len(broken)} rule(s) broken")
        return 1
    print("\nall rules hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
