#!/usr/bin/env python3
"""Read wrk output and print the benchmark table.

    bench/wrk_report.py parse WRK_OUTPUT       one line: requests rps p50_ms p99_ms non2xx socket errors statuses
    bench/wrk_report.py table ROWS.tsv         the aligned table of every row appended by run.sh
    bench/wrk_report.py slices SLICES.tsv SCENARIO SERVER CONNECTIONS RSS_BEFORE RSS_AFTER
                                               one row of ROWS.tsv from the slices of an alternating run: each
                                               line a parse line, tokens stored, server and database CPU seconds

An error is any answer whose status is not 2xx (from token.lua's tally, or wrk's "Non-2xx or 3xx responses"
line if that is larger) plus every socket error wrk reports (connect, read, write, timeout).
"""
import re
import sys

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def duration_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNITS_MS[m.group(2)] if m else None


def slices(path, scenario, server, connections, rss_before, rss_after):
    """Sums the slices' requests, errors, tokens and CPU; the rate is all requests over all slices' time (each
    slice's requests over its rate); p50 and p99 are the worst slice's."""
    lines = [line.rstrip("\n").split("\t") for line in open(path) if line.strip()]
    requests = sum(int(f[0]) for f in lines)
    seconds = sum(int(f[0]) / float(f[1]) for f in lines if float(f[1]) > 0)
    worst = lambda i: "%.2f" % max(float(f[i]) for f in lines) if all(f[i] != "-" for f in lines) else "-"
    statuses = {}
    for f in lines:
        for pair in f[7].split(",") if f[7] != "-" else []:
            status, n = pair.split(":")
            statuses[status] = statuses.get(status, 0) + int(n)
    per_request = lambda i: "%.1f" % (sum(float(f[i]) for f in lines) * 1e6 / requests) if requests else "-"
    print("\t".join([
        scenario, server, connections, str(requests), "%.2f" % (requests / seconds if seconds else 0), worst(2),
        worst(3), str(sum(int(f[4]) for f in lines)), str(sum(int(f[5]) for f in lines)),
        str(sum(int(f[6]) for f in lines)), ",".join("%s:%d" % (s, n) for s, n in sorted(statuses.items())) or "-",
        str(sum(int(f[8]) for f in lines)), rss_before, rss_after, "", per_request(9), per_request(10),
    ]))


def parse(path):
    text = open(path, errors="replace").read()
    requests = re.search(r"^\s*(\d+) requests in ", text, re.M)
    rps = re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M)
    p50 = re.search(r"^\s*50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s*99%\s+(\S+)", text, re.M)
    non2xx_wrk = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    statuses = {int(s): int(n) for s, n in re.findall(r"^status (\d+): (\d+)$", text, re.M)}
    non2xx_tally = sum(n for s, n in statuses.items() if not 200 <= s < 300)
    non2xx = max(non2xx_tally, int(non2xx_wrk.group(1)) if non2xx_wrk else 0)
    socket_errors = sum(int(g) for g in socket.groups()) if socket else 0
    fields = [
        requests.group(1) if requests else "0",
        rps.group(1) if rps else "0",
        "%.2f" % duration_ms(p50.group(1)) if p50 and duration_ms(p50.group(1)) is not None else "-",
        "%.2f" % duration_ms(p99.group(1)) if p99 and duration_ms(p99.group(1)) is not None else "-",
        str(non2xx),
        str(socket_errors),
        str(non2xx + socket_errors),
        ",".join("%d:%d" % (s, n) for s, n in sorted(statuses.items())) or "-",
    ]
    print("\t".join(fields))


COLUMNS = [
    # (heading, key, align)
    ("scenario", "scenario", "<"),
    ("server", "server", "<"),
    ("conns", "connections", ">"),
    ("requests/s", "rps", ">"),
    ("p50", "p50", ">"),
    ("p99", "p99", ">"),
    ("requests", "requests", ">"),
    ("errors", "errors", ">"),
    ("tokens stored", "stored", ">"),
    ("RSS before", "rss_before", ">"),
    ("RSS after", "rss_after", ">"),
    ("server us/req", "server_us", ">"),
    ("db us/req", "db_us", ">"),
]
KEYS = ["scenario", "server", "connections", "requests", "rps", "p50", "p99", "non2xx", "socket", "errors",
        "statuses", "stored", "rss_before", "rss_after", "note", "server_us", "db_us"]


def mib(kib):
    return "%.1f MiB" % (int(kib) / 1024) if kib.isdigit() else kib


def table(path):
    rows = []
    for line in open(path):
        values = line.rstrip("\n").split("\t")
        row = dict(zip(KEYS, values + [""] * (len(KEYS) - len(values))))
        if row["note"]:
            cells = {"scenario": row["scenario"], "server": row["server"], "requests/s": row["note"]}
            rows.append(cells)
            continue
        errors = row["errors"]
        if errors != "0":
            errors += " (non-2xx %s, socket %s)" % (row["non2xx"], row["socket"])
        rows.append({
            "scenario": row["scenario"], "server": row["server"], "conns": row["connections"],
            "requests/s": "%.0f" % float(row["rps"]), "p50": row["p50"] + " ms", "p99": row["p99"] + " ms",
            "requests": row["requests"], "errors": errors, "tokens stored": row["stored"],
            "RSS before": mib(row["rss_before"]), "RSS after": mib(row["rss_after"]),
            "server us/req": row["server_us"] or "-", "db us/req": row["db_us"] or "-",
        })
    headings = [c[0] for c in COLUMNS]
    # A note ("not yet available", "failed: ...") spans the measurement columns, so it does not widen them.
    widths = {h: len(h) for h in headings}
    for r in rows:
        for h in headings:
            if h == "requests/s" and "conns" not in r:
                continue
            widths[h] = max(widths[h], len(r.get(h, "")))
    def render(r):
        if "conns" not in r:
            lead = " | ".join(format(r.get(h, ""), "<%d" % widths[h]) for h in headings[:2])
            return "| %s | %s |" % (lead, r["requests/s"])
        return "| " + " | ".join(format(r.get(h, ""), "%s%d" % (a, widths[h])) for h, _, a in COLUMNS) + " |"
    print(render({h: h for h in headings}))
    print("|" + "|".join("-" * (widths[h] + 1) + (":" if a == ">" else "-") for h, _, a in COLUMNS) + "|")
    for r in rows:
        print(render(r))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "parse":
        parse(sys.argv[2])
    elif len(sys.argv) == 8 and sys.argv[1] == "slices":
        slices(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2])
    else:
        sys.exit(__doc__)
