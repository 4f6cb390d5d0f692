#!/usr/bin/env python3
"""Every benchmark, one after another (each in its own process), then one table against
the targets the README's Performance table lists; the figures go to bench/results.json (and each script's own JSON).

    .venv/bin/python bench/run_all.py
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# (result name, script, its arguments)
SCRIPTS = [(name, name, []) for name in ("event_latency", "live_latency", "console_load", "heartbeat_sweep",
                                         "concurrent_creates", "usage_ingest", "placement_scale")]
# At a large provider's size (docs/scale.md): ~2, ~1.5, ~3 and ~0.5 minutes
SCRIPTS += [("heartbeat_sweep_1000", "heartbeat_sweep", ["--spokes", "1000", "--interval", "5", "--seconds", "30"]),
            ("creates_at_scale", "creates_at_scale", []), ("many_clients", "many_clients", []),
            ("failover", "failover", []), ("soak", "soak", ["--seconds", "600"])]  # the embedded default, 10 minutes
# Upgrades: a database of the previous release's shape at a large provider's size (~3 minutes),
# and a rolling upgrade behind HAProxy under traffic (~1 minute; needs haproxy)
SCRIPTS += [("upgrade", "upgrade", [])]
if shutil.which("haproxy"):
    SCRIPTS += [("rolling_restart", "rolling_restart", [])]
# Need root (a system libvirtd in a namespace of its own) and ~6 + ~4 + ~7 minutes: run when root.
if os.geteuid() == 0:
    SCRIPTS += [("cloud_boot", "cloud_boot", []), ("console_latency", "console_latency", []),
                ("rebuild_resize", "rebuild_resize", []), ("backups", "backups", []),
                ("moves", "moves", []), ("image_fetch", "image_fetch", [])]


def run(name: str, script: str, args: list[str]) -> dict:
    out = BENCH / f"{name}.json"
    started = time.monotonic()
    subprocess.run([sys.executable, str(BENCH / f"{script}.py"), *args, "--json", str(out)], check=True, timeout=1800)
    print(f"  ({name} took {time.monotonic() - started:.0f} s)\n", flush=True)
    return json.loads(out.read_text())


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB, {platform.platform()}, Python {platform.python_version()}"


def rows(r: dict) -> list[tuple[str, str, str, bool]]:
    live = {x["clients"]: x for x in r["live_latency"]["websocket"]}
    poll = r["live_latency"]["polling_vs_websocket"]
    create = r["console_load"]["create_to_running"]
    page = r["console_load"]["list_page"]
    sweep = r["heartbeat_sweep"]
    race = r["concurrent_creates"]
    exact = (race["vms"] == race["creates"] and race["duplicate_addresses"] == 0 and race["orphan_rows"] == 0
             and race["orphan_domains"] == 0 and race["creates_with_several_claims"] == 0 and not race["errors"])
    out = [
        ("libvirt event → websocket frame, 1 client", "p99 ≤ 10 ms",
         f"p50 {live[1]['per_client']['p50_ms']} ms, p99 {live[1]['per_client']['p99_ms']} ms",
         live[1]["per_client"]["p99_ms"] <= 10),
    ]
    for n in (100, 1000):
        if n in live:
            out.append((f"libvirt event → websocket frame, {n} clients (last client)", "—",
                        f"p50 {live[n]['per_client']['p50_ms']} ms, p99 {live[n]['per_client']['p99_ms']} ms "
                        f"({live[n]['broadcast']['p99_ms']} ms)", True))
    if 1000 in live:
        out.append(("one hub, 1,000 websocket clients, one broadcast", "p99 ≤ 100 ms, RSS ≤ 300 MB",
                    f"p99 {live[1000]['broadcast']['p99_ms']} ms, peak RSS {live[1000]['hub_peak_rss_mb']} MB",
                    live[1000]["broadcast"]["p99_ms"] <= 100 and live[1000]["hub_peak_rss_mb"] <= 300))
    out += [
        ("same changes seen by a page polling every 5 s", "—",
         f"p50 {poll['polling']['p50_ms']} ms, p99 {poll['polling']['p99_ms']} ms: websocket {poll['ratio_p50']}× "
         f"sooner at p50, {poll['ratio_p99']}× at p99", True),
        ("create request → running pushed (test hypervisor)", "p99 ≤ 100 ms",
         f"p50 {create['one_at_a_time']['p50_ms']} ms, p99 {create['one_at_a_time']['p99_ms']} ms; "
         f"{create['creates_per_s']} creates/s sustained ({create['concurrent']['concurrency']} at once)",
         create["one_at_a_time"]["p99_ms"] <= 100),
        (f"list page with {page['capsuls_on_page']} capsuls", "≤ 50 ms server time",
         f"p50 {page['one_at_a_time']['p50_ms']} ms, p99 {page['one_at_a_time']['p99_ms']} ms; "
         f"{page['requests_per_s']} requests/s at {page['concurrency']} concurrent",
         page["one_at_a_time"]["p50_ms"] <= 50),
        (f"{sweep['spokes']} spokes, heartbeat sweep", "≤ 1 s, never blocks requests",
         f"p50 {sweep['sweep']['p50_ms']} ms, max {sweep['sweep']['max_ms']} ms; page p99 "
         f"{sweep['page_without_spokes']['p99_ms']} → {sweep['page_during_sweeps']['p99_ms']} ms during sweeps",
         sweep["sweep"]["max_ms"] <= 1000),
        (f"{race['creates']} concurrent creates over {race['spokes']} spokes", "exactly 200 VMs, 0 duplicates, 0 orphans",
         f"{race['vms']} VMs, {race['creates_with_one_claim']} with one owner, {race['duplicate_addresses']} duplicate "
         f"addresses, {race['orphan_rows'] + race['orphan_domains']} orphans; all running in "
         f"{race['seconds_until_all_running']} s", exact),
    ]
    if "usage_ingest" in r:
        ingest, graphs, storage = r["usage_ingest"]["ingest"], r["usage_ingest"]["graphs"], r["usage_ingest"]["storage"]
        out += [
            (f"usage ingest, {ingest['capsuls']:,} capsuls sampled every 10 s", "measured",
             f"hub {100 * ingest['hub_core_share_at_10s']:.2f}% of a core ({ingest['hub_cpu_s_per_round'] * 1000:.0f} ms "
             f"a round), PostgreSQL {100 * ingest['postgres_core_share_at_10s']:.2f}%; flat out "
             f"{ingest['rows_per_s']:,} rows/s", True),
            ("30-day usage graph of one capsul (720 hourly points among 1,000 capsuls')", "≤ 50 ms",
             f"p50 {graphs['30d']['p50_ms']} ms, p99 {graphs['30d']['p99_ms']} ms", graphs["30d"]["p99_ms"] <= 50),
            ("usage storage per capsul", "measured",
             f"{storage['total_mb_per_capsul_month']} MB in steady state (24 h raw, 31 days of 5-minute, a month of "
             f"hourly), + {storage['hourly_mb_per_capsul_per_extra_month']} MB per month of hourly history", True),
        ]
    if "placement_scale" in r:
        scale = r["placement_scale"]
        new, old, admin = scale["decision_kept_load"], scale["decision_recount"], scale["admin_pages"]["first page"]
        out += [
            (f"placement decision, {scale['hosts']:,} hosts and {scale['capsuls']:,} capsuls", "≤ 5 ms p99",
             f"p50 {new['p50_ms']} ms, p99 {new['p99_ms']} ms; recounting every capsul (before) p50 {old['p50_ms']} ms: "
             f"{scale['ratio_p50']}× faster; kept load = recount on {scale['hosts'] - scale['hosts_whose_load_differs_from_a_recount']:,} "
             f"of {scale['hosts']:,} hosts", new["p99_ms"] <= 5),
            (f"admin page at {scale['capsuls']:,} capsuls", "≤ 50 ms server time",
             f"p50 {admin['p50_ms']} ms, p99 {admin['p99_ms']} ms, {admin['kb']} KB", admin["p50_ms"] <= 50),
        ]
    if "heartbeat_sweep_1000" in r:
        hb = r["heartbeat_sweep_1000"]
        out.append((f"heartbeat sweep of {hb['spokes']:,} simulated spokes", "≤ 1 s; console p99 ≤ 2× idle",
                    f"p50 {hb['sweep']['p50_ms']} ms, max {hb['sweep']['max_ms']} ms (the hub's CPU "
                    f"{hb['hub_process_cpu_ms_per_sweep']} ms a sweep); console p99 {hb['page_without_spokes']['p99_ms']} "
                    f"→ {hb['page_during_sweeps']['p99_ms']} ms ({hb['page_p99_ratio']}×)",
                    hb["sweep"]["max_ms"] <= 1000 and hb["page_p99_ratio"] <= 2))
    if "creates_at_scale" in r:
        c = r["creates_at_scale"]
        out.append((f"creates a second, sustained, {c['capsuls_before']:,} capsuls over {c['spokes']:,} hosts", "≥ 200",
                    f"{c['creates_per_s']} with {c['concurrency']} at once (p50 {c['latency']['p50_ms']} ms, p99 "
                    f"{c['latency']['p99_ms']} ms); {c['capsuls_with_several_owners']} with two owners, "
                    f"{c['hosts_over_capacity']} hosts over capacity", c["creates_per_s"] >= 200))
    if "many_clients" in r:
        m = r["many_clients"]
        rss = max(m["rss_kb_per_client"])
        out.append((f"{m['clients']:,} websocket clients across {m['hubs']} hubs, per-person events at "
                    f"{m['events_per_s']}/s", "event → frame p99 ≤ 10 ms; hub RSS ≤ 20 KB a client",
                    f"p50 {m['event_to_frame']['p50_ms']} ms, p99 {m['event_to_frame']['p99_ms']} ms; "
                    f"{m['frames_received']:,} of {m['frames_expected']:,} frames; {rss} KB a client",
                    m["event_to_frame"]["p99_ms"] <= 10 and rss <= 20))
    if "failover" in r:
        f = r["failover"]
        out.append(("database failover: primary's machine killed, standby promoted", "measured; 0 events lost",
                    f"first create acknowledged p50 {f['kill_to_first_create_s']['p50']} s, max "
                    f"{f['kill_to_first_create_s']['max']} s after the kill ({len(f['rounds'])} failovers); events "
                    f"lost {f['events_lost']} of {f['events']:,}",
                    f["events_lost"] == 0 and f["every_acknowledged_seq_applied"]))
    if "upgrade" in r:
        u = r["upgrade"]
        out.append((f"upgrade from {u['from']}: {u['capsuls']:,} capsuls, {u['hosts']:,} hosts", "measured; reads of vms "
                    "never wait", f"{u['seconds']} s ({', '.join(u['migrations'])}); longest lock on vms "
                    f"{u['longest_vms_lock_ms']} ms; a concurrent read of vms waited at most {u['probe_max_ms']} ms",
                    True))
    if "rolling_restart" in r:
        for one in r["rolling_restart"]["rounds"]:
            out.append((f"rolling upgrade from {r['rolling_restart']['from']} behind HAProxy, 3 hubs then the spoke, "
                        f"DRAIN_SECONDS={one['drain_seconds']:g}", "0 failed",
                        f"{one['served']:,} requests served, {one['failed']} failed, slowest {one['slowest_ms']:,} ms "
                        f"over {one['seconds']} s", one["failed"] == 0))
    if "soak" in r:
        k = r["soak"]
        out.append((f"soak of the embedded default, {k['seconds'] / 60:g} minutes: {k['people']} people's create → "
                    f"running → force-stop → start → delete loops, {k['websockets']} open pages", "0 failures, RSS flat",
                    f"{k['cycles']:,} cycles, {k['failed_steps']} failed steps; create → running p50 "
                    f"{k['create_to_running']['p50_ms']} ms, p99 {k['create_to_running']['p99_ms']} ms; "
                    f"{k['frames']:,} frames; RSS {k['rss_mb_start']} → {k['rss_mb_end']} MB", k["failed_steps"] == 0))
    if "cloud_boot" in r:
        boot = r["cloud_boot"]["p50"]
        out.append((f"create → SSH answers, Debian 12 cloud image, software emulation "
                    f"(p50 of {len(r['cloud_boot']['runs'])})", "measured and split",
                    f"{boot['total_s']} s: build {boot['build_s']} s, boot {boot['boot_s']} s, "
                    f"cloud-init {boot['cloud_init_s']} s", True))
    if "rebuild_resize" in r:
        rr = r["rebuild_resize"]["p50"]
        out.append((f"rebuild → SSH answers against create → SSH answers, Debian 12, software emulation (p50 of "
                    f"{len(r['rebuild_resize']['runs'])})", "measured", f"rebuild {rr['rebuild_to_ssh_s']} s, create "
                    f"{rr['create_to_ssh_s']} s: {rr['rebuild_vs_create']}× create", True))
        out.append(("resize with \"restart now\": downtime until SSH answers again", "measured",
                    f"{rr['resize_downtime_s']} s: shut down {rr['resize_shutdown_s']} s, restart "
                    f"{rr['resize_restart_s']} s, boot {rr['resize_boot_s']} s", True))
    if "moves" in r:
        for live in r["moves"]["live"]:
            out.append((f"live move of an idle {live['memory_mib']} MiB guest between two libvirtds over TLS, software "
                        f"emulation (p50 of {len(live['moves'])})", "measured",
                        f"downtime {live['downtime_ms_p50']} ms (max {live['downtime_ms_max']}), libvirt's job "
                        f"{live['job_ms_p50']} ms, the whole move {live['wall_s_p50']} s; at most "
                        f"{live['pings_lost_max']} pings lost at 0.1 s", True))
        cold = r["moves"]["cold"]
        out.append(("cold move of a running 256 MiB guest: asked → it answers pings on the other host", "measured",
                    f"{cold['pings_again_s_p50']} s (the move itself {cold['moved_s_p50']} s)", True))
        evac = r["moves"]["evacuation"]
        out.append((f"evacuation of a host of {evac['capsuls']} running 256 MiB guests", "measured",
                    f"{evac['moved']} moved in {evac['wall_s']} s ({evac['per_capsul_s']} s each)", True))
    if "image_fetch" in r:
        f = r["image_fetch"]
        out.append((f"OS image fetch ({f['mib']} MiB, size and SHA-256 checked) against curl of the same file, same "
                    "run", "measured", f"{f['capsul_mib_s']} MiB/s against {f['curl_mib_s']} MiB/s: "
                    f"{f['ratio_of_curl']}× curl", True))
    if "console_latency" in r:
        busybox, debian = r["console_latency"]["busybox"], r["console_latency"].get("debian")
        out.append(("serial console keystroke → echo in the browser, busybox shell, software emulation", "measured",
                    f"p50 {busybox['browser']['p50_ms']} ms, p99 {busybox['browser']['p99_ms']} ms "
                    f"(run.py console: p50 {busybox['cli']['p50_ms']} ms, p99 {busybox['cli']['p99_ms']} ms)", True))
        if debian:
            out.append(("Debian 12 guest: serial console vs SSH, keystroke → echo", "measured",
                        f"console in the browser p50 {debian['browser']['p50_ms']} ms, p99 "
                        f"{debian['browser']['p99_ms']} ms; run.py console p50 {debian['cli']['p50_ms']} ms, p99 "
                        f"{debian['cli']['p99_ms']} ms; SSH p50 {debian['ssh']['p50_ms']} ms, p99 "
                        f"{debian['ssh']['p99_ms']} ms", True))
    return out


def main() -> None:
    results = {name: run(name, script, args) for name, script, args in SCRIPTS}
    results["machine"] = machine()
    table = rows(results)
    print(f"machine: {results['machine']}\n")
    print("| what | target | measured | met |\n| --- | --- | --- | --- |")
    for what, target, measured, met in table:
        print(f"| {what} | {target} | {measured} | {'yes' if met else 'NO'} |")
    results["table"] = [{"what": w, "target": t, "measured": m, "met": ok} for w, t, m, ok in table]
    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
