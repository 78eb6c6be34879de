#!/usr/bin/env python3
"""Summarise a bench/run.sh results file (JSON lines).

  python3 bench/report.py RESULTS.jsonl                  print the table, ratios and targets
  python3 bench/report.py RESULTS.jsonl --append-summary also append summary/ratio/target lines
  python3 bench/report.py RESULTS.jsonl --markdown       the same as Markdown (for RESULTS.md)

Medians over rounds with the spread (min-max). Ratios are gateway / peer: above 1 is better for
req/s, below 1 is better for latency, CPU and memory.
"""
import argparse
import json
import statistics
import sys

SCENARIO_ORDER = ["small", "big", "c1000", "respond", "newconn", "tls", "balance",
                  "ratelimit", "jwt", "cache", "stream"]
PROXY_ORDER = ["gateway", "nginx", "haproxy", "gateway+log", "gateway+2t", "gateway+rl",
               "gateway+rlredis", "gateway+jwt"]
PEERS = ["nginx", "haproxy"]
METRICS = ["rps", "p50_us", "p99_us", "cpu_us_per_req"]

# Issue 3's targets: (scenario, metric, compared with, limit, "min" = ratio must be >= limit or
# "max" = must be <= limit). "abs" compares the gateway's own figure.
TARGETS = [
    ("small", "rps", "nginx", 1.0, "min", "small-body throughput >= 1.0x nginx"),
    ("small", "rps", "haproxy", 1.0, "min", "small-body throughput >= 1.0x HAProxy"),
    ("small", "cpu_us_per_req", "nginx", 1.0, "max", "small-body CPU us/request <= nginx"),
    ("small", "p99_us", "nginx", 1.2, "max", "small-body p99 <= 1.2x nginx"),
    ("c1000", "kib_per_conn", "abs", 16.0, "max", "memory per idle keep-alive connection <= 16 KiB"),
    ("c1000", "p99_us", "nginx", 1.2, "max", "1,000 connections: p99 <= 1.2x nginx"),
    ("respond", "rps", "nginx", 1.0, "min", "respond route >= 1.0x nginx return 200"),
    ("stream", "growth_mib", "abs", 16.0, "max", "streaming 1 GiB grows RSS by < 16 MiB"),
]
UNITS = {"kib_per_conn": "KiB", "growth_mib": "MiB"}


def load(path):
    runs, idle, skipped, meta, has_summary = {}, {}, [], None, False
    streams = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            t = r.get("type")
            if t == "meta":
                meta = r
            elif t == "run":
                runs.setdefault((r["scenario"], r["proxy"]), []).append(r)
            elif t == "idle_memory":
                idle[r["proxy"]] = r
            elif t == "stream":
                streams.append(r)
            elif t == "skipped":
                skipped.append(r["scenario"])
            elif t in ("summary", "ratio", "target"):
                has_summary = True
    return meta, runs, idle, skipped, has_summary, streams


def summarise(runs, idle, streams):
    out = {}
    for (scen, proxy), rs in runs.items():
        good = [r for r in rs if r.get("ok")]
        s = {"type": "summary", "scenario": scen, "proxy": proxy, "rounds": len(good),
             "failed_runs": len(rs) - len(good)}
        for m in METRICS:
            vals = [r[m] for r in good if r.get(m) is not None]
            if vals:
                s[m] = {"median": round(statistics.median(vals), 2), "min": min(vals),
                        "max": max(vals)}
        hwm = [r["rss_peak_kib"] for r in good if r.get("rss_peak_kib")]
        if hwm:
            s["rss_peak_kib"] = max(hwm)
        if scen == "c1000" and proxy in idle:
            s["kib_per_conn"] = idle[proxy]["kib_per_conn"]
        out[(scen, proxy)] = s
    if streams:  # bench/stream.py: one transfer each way; the largest growth counts
        out[("stream", "gateway")] = {
            "type": "summary", "scenario": "stream", "proxy": "gateway", "rounds": len(streams),
            "failed_runs": 0, "rss_peak_kib": max(r["rss_peak_kib"] for r in streams),
            "growth_mib": round(max(r["growth_kib"] for r in streams) / 1024, 2),
            "upload_mib_s": min(r["upload_mib_s"] for r in streams),
            "download_mib_s": min(r["download_mib_s"] for r in streams)}
    return out


def value(s, metric):
    if s is None:
        return None
    v = s.get(metric)
    return v["median"] if isinstance(v, dict) else v


def ratios(summ):
    out = []
    scens = sorted({k[0] for k in summ}, key=SCENARIO_ORDER.index)
    for scen in scens:
        gw = summ.get((scen, "gateway"))
        pairs = [(p, "gateway") for p in PEERS] + [("gateway", "gateway+log"),
                                                   ("gateway", "gateway+2t"),
                                                   ("gateway", "gateway+rl"),
                                                   ("gateway", "gateway+rlredis"),
                                                   ("gateway", "gateway+jwt")]
        for peer, subject in pairs:
            a, b = summ.get((scen, subject)), summ.get((scen, peer))
            if not a or not b:
                continue
            r = {"type": "ratio", "scenario": scen, "subject": subject, "peer": peer}
            for m in METRICS + ["rss_peak_kib", "kib_per_conn"]:
                x, y = value(a, m), value(b, m)
                if x is not None and y:
                    r[m] = round(x / y, 3)
            out.append(r)
        del gw
    return out


def targets(summ):
    out = []
    for scen, metric, peer, limit, kind, text in TARGETS:
        gw = value(summ.get((scen, "gateway")), metric)
        if peer == "abs":
            got = gw
        else:
            ref = value(summ.get((scen, peer)), metric)
            got = round(gw / ref, 3) if gw is not None and ref else None
        if got is None:
            status = "not measured"
        else:
            status = "met" if (got >= limit if kind == "min" else got <= limit) else "MISSED"
        out.append({"type": "target", "target": text, "scenario": scen, "metric": metric,
                    "compared_with": peer, "value": got, "limit": limit, "status": status})
    return out


def fmt_rps(s):
    v = s.get("rps")
    return f"{v['median']:,.0f} ({v['min']:,.0f}–{v['max']:,.0f})" if v else "–"


def fmt_ms(s, m):
    v = s.get(m)
    if not v:
        return "–"
    return f"{v['median'] / 1000:.2f} ({v['min'] / 1000:.2f}–{v['max'] / 1000:.2f})"


def fmt_cpu(s):
    v = s.get("cpu_us_per_req")
    return f"{v['median']:.1f} ({v['min']:.1f}–{v['max']:.1f})" if v else "–"


def fmt_ratio(r, m):
    v = r.get(m)
    return f"{v:.2f}×" if v is not None else "–"


def render(meta, summ, rats, tgts, skipped, md):
    lines = []
    head = ["scenario", "proxy", "req/s (min–max)", "p50 ms", "p99 ms", "CPU µs/req",
            "peak RSS MiB", "idle KiB/conn"]
    rows = []
    for scen in SCENARIO_ORDER:
        for proxy in PROXY_ORDER:
            s = summ.get((scen, proxy))
            if not s or scen == "stream":  # no req/s: its figures are in the targets
                continue
            rss = f"{s['rss_peak_kib'] / 1024:.1f}" if s.get("rss_peak_kib") else "–"
            idle = f"{s['kib_per_conn']:.1f}" if s.get("kib_per_conn") is not None else ""
            name = proxy + (f" ({s['failed_runs']} failed)" if s["failed_runs"] else "")
            rows.append([scen, name, fmt_rps(s), fmt_ms(s, "p50_us"), fmt_ms(s, "p99_us"),
                         fmt_cpu(s), rss, idle])
    rhead = ["scenario", "ratio", "req/s", "p50", "p99", "CPU/req", "peak RSS", "idle/conn"]
    rrows = [[r["scenario"], f"{r['subject']} / {r['peer']}", fmt_ratio(r, "rps"),
              fmt_ratio(r, "p50_us"), fmt_ratio(r, "p99_us"), fmt_ratio(r, "cpu_us_per_req"),
              fmt_ratio(r, "rss_peak_kib"), fmt_ratio(r, "kib_per_conn")] for r in rats]
    thead = ["issue 3 target", "gateway", "limit", "status"]
    trows = []
    for t in tgts:
        if t["value"] is None:
            got = "–"
        elif t["compared_with"] == "abs":
            got = f"{t['value']:.1f} {UNITS[t['metric']]}"
        else:
            got = f"{t['value']:.2f}× {t['compared_with']}"
        lim = (f"{t['limit']:g} {UNITS[t['metric']]}" if t["compared_with"] == "abs"
               else f"{t['limit']:g}×")
        trows.append([t["target"], got, lim, t["status"]])

    def table(h, rs):
        if md:
            out = ["| " + " | ".join(h) + " |", "|" + "|".join("---" for _ in h) + "|"]
            out += ["| " + " | ".join(r) + " |" for r in rs]
            return out
        w = [max(len(x) for x in col) for col in zip(h, *rs)] if rs else [len(x) for x in h]
        out = ["  ".join(x.ljust(n) for x, n in zip(h, w)).rstrip()]
        out.append("  ".join("-" * n for n in w))
        out += ["  ".join(x.ljust(n) for x, n in zip(r, w)).rstrip() for r in rs]
        return out

    if meta and not md:
        lines.append(f"{meta['date']}  gateway {meta['gateway_commit']}"
                     f"{' (dirty tree)' if meta.get('gateway_dirty') else ''}  "
                     f"{meta['host_nproc']} CPUs ({meta['cpu_model']})  workers {meta['workers']}"
                     f"  rounds {meta['rounds']} x {meta['duration_s']} s"
                     f"{'  SMOKE' if meta.get('smoke') else ''}")
        lines.append("")
    lines += table(head, rows)
    if skipped and md:
        lines.append("")
    for s in skipped:
        lines.append(f"{s}: skipped (not implemented yet)" + ("  " if md else ""))
    lines.append("")
    lines += table(rhead, rrows)
    lines.append("")
    lines += table(thead, trows)
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--append-summary", action="store_true")
    p.add_argument("--markdown", action="store_true")
    a = p.parse_args()
    meta, runs, idle, skipped, has_summary, streams = load(a.results)
    summ = summarise(runs, idle, streams)
    rats = ratios(summ)
    tgts = targets(summ)
    print(render(meta, summ, rats, tgts, skipped, a.markdown))
    if a.append_summary and not has_summary:
        with open(a.results, "a") as f:
            for k in sorted(summ, key=lambda k: (SCENARIO_ORDER.index(k[0]),
                                                 PROXY_ORDER.index(k[1]))):
                f.write(json.dumps(summ[k], separators=(",", ":")) + "\n")
            for r in rats + tgts:
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
