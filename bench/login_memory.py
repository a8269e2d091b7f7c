#!/usr/bin/env python3
"""Resident memory of `hearth serve` through bursts of concurrent logins.

Starts the release binary on a scratch SQLite database with production argon2 parameters,
then for each burst size fires that many logins at once (wrong passwords for unknown emails,
each from its own loopback address so the per-address throttle does not turn them away
before hashing), sampling the server's RSS every 20 ms during the burst and again 60 s later.

    bench/login_memory.py [--binary target/release/hearth] [--bursts 25,50,100,200] [--settle 60]

Prints one line per burst and a Markdown table. The baseline is the server's own RSS at rest,
measured in the same run; the goal is RSS 60 s after the 200-login burst within 2x of it.
"""
import argparse, http.client, json, os, re, subprocess, sys, tempfile, threading, time


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def login(port, source, email, results, i):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
        body = json.dumps({"email": email, "password": "not the password at all"})
        conn.request("POST", "/api/v1/session", body, {"content-type": "application/json"})
        results[i] = conn.getresponse().status
        conn.close()
    except Exception as e:  # noqa: BLE001 - reported in the summary
        results[i] = repr(e)


def burst(port, pid, n, round_no):
    results = [None] * n
    threads = [
        threading.Thread(
            target=login,
            args=(port, f"127.{round_no}.{i // 250}.{i % 250 + 1}", f"nobody{round_no}-{i}@example.org", results, i),
        )
        for i in range(n)
    ]
    peak = rss_mib(pid)
    started = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mib(pid))
        time.sleep(0.02)
    took = time.monotonic() - started
    statuses = {}
    for r in results:
        statuses[r] = statuses.get(r, 0) + 1
    return peak, took, statuses


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/hearth")
    ap.add_argument("--bursts", default="25,50,100,200")
    ap.add_argument("--settle", type=int, default=60)
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="hearth-login-memory-")
    env = dict(os.environ, HEARTH__SECURE_COOKIES="false", HEARTH__LOG__FILTER="warn")
    server = subprocess.Popen(
        [args.binary, "serve", "--bind", "127.0.0.1:0", "--data-dir", data],
        stdout=subprocess.PIPE, env=env, text=True,
    )
    try:
        line = server.stdout.readline()
        port = int(re.search(r":(\d+)\s*$", line).group(1))
        time.sleep(2)
        rest = rss_mib(server.pid)
        print(f"at rest: {rest:.0f} MiB")
        rows = []
        for round_no, n in enumerate(int(b) for b in args.bursts.split(",")):
            before = rss_mib(server.pid)
            peak, took, statuses = burst(port, server.pid, n, round_no + 1)
            time.sleep(args.settle)
            after = rss_mib(server.pid)
            print(f"burst {n}: before {before:.0f} MiB, peak {peak:.0f} MiB, {args.settle} s after {after:.0f} MiB "
                  f"({after / rest:.2f}x rest); {took:.1f} s; answers {statuses}", flush=True)
            rows.append((n, before, peak, after, statuses))
        print()
        print(f"| burst | before | peak during | {args.settle} s after | after ÷ rest | answers |")
        print("|---|---|---|---|---|---|")
        for n, before, peak, after, statuses in rows:
            answers = ", ".join(f"{v}× {k}" for k, v in sorted(statuses.items(), key=str))
            print(f"| {n} | {before:.0f} MiB | {peak:.0f} MiB | {after:.0f} MiB | {after / rest:.2f} | {answers} |")
        print(f"\nrest: {rest:.0f} MiB")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
