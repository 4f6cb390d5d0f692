// Live updates for capsul's pages (docs/architecture.md §6). The pages work without this script;
// with it, states, buttons, rows and timelines follow the websocket at /ws.
// Reconnects with back-off; each (re)connection starts with a snapshot, so nothing is missed.
"use strict";
(function () {
  const page = document.body.dataset.live;
  if (!page) return;
  const watched = document.body.dataset.capsul || null;
  const usage = page === "detail" && document.getElementById("usage-charts") !== null;
  const status = document.getElementById("live-status");
  let delay = 500;
  let socket = null;

  function showStatus(text) {
    status.textContent = text;
    status.hidden = !text;
  }

  function when(iso, seconds) {
    if (!iso) return "—";
    const text = new Date(iso).toISOString().replace("T", " ");
    return text.slice(0, seconds ? 19 : 16) + " UTC";
  }

  function setField(root, field, value) {
    root.querySelectorAll('[data-field="' + field + '"]').forEach(function (el) {
      el.textContent = value;
      if (field === "state") el.className = "state state-" + value;
    });
  }

  // --- the list page -------------------------------------------------------------------
  function listRow(capsul) {
    const rows = document.getElementById("capsul-rows");
    let row = rows.querySelector('tr[data-capsul-id="' + capsul.id + '"]');
    if (capsul.state === "deleted" || capsul.state === "failed") {
      if (row) row.remove();
    } else {
      if (!row) {
        row = document.createElement("tr");
        row.dataset.capsulId = capsul.id;
        const link = document.createElement("a");
        link.href = "/capsuls/" + capsul.id;
        link.textContent = capsul.id;
        const first = document.createElement("td");
        first.appendChild(link);
        row.appendChild(first);
        ["state", "size", "os", "public_ipv4", "public_ipv6", "created_at", "transfer"].forEach(function (field) {
          const cell = document.createElement("td");
          cell.dataset.field = field;
          row.appendChild(cell);
        });
        rows.appendChild(row);
      }
      setField(row, "state", capsul.state);
      setField(row, "size", capsul.size);
      setField(row, "os", capsul.os);
      setField(row, "public_ipv4", capsul.public_ipv4 || "—");
      setField(row, "public_ipv6", capsul.public_ipv6 || "—");
      setField(row, "created_at", when(capsul.created_at, false));
    }
    document.getElementById("no-capsuls").hidden = rows.children.length > 0;
  }

  function listSnapshot(capsuls) {
    const seen = new Set(capsuls.map(function (c) { return c.id; }));
    document.querySelectorAll("#capsul-rows tr[data-capsul-id]").forEach(function (row) {
      if (!seen.has(row.dataset.capsulId)) row.remove();
    });
    capsuls.forEach(listRow);
  }

  // --- the detail page -----------------------------------------------------------------
  function detail(capsul) {
    setField(document, "state", capsul.state);
    if (capsul.released && !document.querySelector('[data-field="released"]')) {
      location.reload();  // deleted meanwhile: the page says its addresses were released
      return;
    }
    setField(document, "public_ipv4", capsul.public_ipv4 || "—");
    setField(document, "public_ipv6", capsul.public_ipv6 || "—");
    setField(document, "problem", capsul.problem || "none");
    setField(document, "login_hint", capsul.public_ipv4 ? "ssh cyberian@" + capsul.public_ipv4 : "(once it has an address)");
    setField(document, "login_hint_ipv6", capsul.public_ipv6 ? "ssh cyberian@" + capsul.public_ipv6 : "");
    hostKeys(capsul.ssh_host_keys);
    let any = false;
    document.querySelectorAll("form[data-action]").forEach(function (form) {
      const allowed = capsul.actions.indexOf(form.dataset.action) >= 0;
      form.hidden = !allowed;
      any = any || allowed;
    });
    const consoleLink = document.querySelector("a[data-console]");
    if (consoleLink) consoleLink.hidden = capsul.state !== "running";
    document.querySelectorAll("a[data-change]").forEach(function (link) {  // rebuild, resize
      link.hidden = (capsul.changes || []).indexOf(link.dataset.change) < 0;
      any = any || !link.hidden;
    });
    const del = document.querySelector('a[data-action="delete"]');
    if (del) del.hidden = !capsul.deletable;
    const none = document.getElementById("no-actions");  // not on an admin's view of another's capsul
    if (none) none.hidden = any || capsul.deletable;
  }

  function hostKeys(keys) {
    const known = document.getElementById("host-keys");
    const unknown = document.getElementById("host-keys-unknown");
    if (!known || !unknown) return;  // the test driver's capsul has none
    known.replaceChildren.apply(known, keys.map(function (key) {
      const item = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = key.fingerprint;
      item.append(key.type + " (" + key.bits + " bits) ", code);
      return item;
    }));
    known.hidden = keys.length === 0;
    unknown.hidden = keys.length > 0;
  }

  function timelineItem(event) {
    const item = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = event.at;
    time.textContent = when(event.at, true);
    const state = document.createElement("span");
    state.className = "state state-" + event.state;
    state.textContent = event.state;
    item.append(time, " ", state);
    if (event.reason) item.append(" — " + event.reason);
    return item;
  }

  function timeline(events) {
    const list = document.getElementById("timeline");
    list.replaceChildren.apply(list, events.slice().reverse().map(timelineItem));
  }

  // --- admin pages: re-read the page (debounced) whenever something changes, and patch only the
  // rows of its live regions (data-live-region) that differ: never a form, what is typed in it, its
  // focus, or a message shown beside it.
  let refreshTimer = null;
  function refreshAdmin(kind) {
    const consistency = location.pathname === "/admin/consistency";
    if (consistency && kind !== "capsul.state") return;  // that page asks every spoke: only on VM changes
    if (refreshTimer !== null) return;  // one is coming: it reads whatever changed until then
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      fetch(document.body.dataset.refreshUrl || location.href, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) return;
        return response.text().then(function (html) {
          const fresh = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-live-region]").forEach(function (region) {
            const next = fresh.querySelector('[data-live-region="' + region.dataset.liveRegion + '"]');
            if (next) patchRegion(region, next);
          });
        });
      }).catch(function () {});
    }, consistency ? 2000 : 300);
  }
  function patchRegion(region, next) {
    if (region.innerHTML === next.innerHTML) return;
    const rows = region.tBodies && region.tBodies[0], nextRows = next.tBodies && next.tBodies[0];
    if (!rows || !nextRows) { region.replaceChildren(...document.adoptNode(next).childNodes); return; }
    const fresh = Array.from(nextRows.rows);
    fresh.forEach(function (row, i) {
      const old = rows.rows[i];
      if (!old) rows.append(document.adoptNode(row));
      else if (old.outerHTML !== row.outerHTML) old.replaceWith(document.adoptNode(row));
    });
    while (rows.rows.length > fresh.length) rows.deleteRow(fresh.length);
  }

  function moveProgress(move) {  // a move under way (docs/moves.md): how much is copied, from libvirt's job stats
    const shown = document.getElementById("move-progress");
    if (!shown || !move) return;
    const total = (move.memory_total || 0) + (move.disk_total || 0);
    const left = (move.memory_remaining || 0) + (move.disk_remaining || 0);
    const percent = total ? Math.floor(100 * (total - left) / total) : 0;
    shown.textContent = "Moving to another host while it runs: " + percent + "% copied";
    shown.hidden = false;
  }

  function backupRow(backup) {  // the Backups section of a capsul's page (templates/capsul.html)
    const table = document.getElementById("backup-rows");
    if (!table || !backup) return;
    let row = table.querySelector('tr[data-backup="' + backup.id + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.dataset.backup = backup.id;
      ["taken_at", "status", "consistency", "size", "kept", "restore"].forEach(function (field) {
        const cell = document.createElement("td");
        cell.dataset.field = field;
        row.appendChild(cell);
      });
      table.tBodies[0].prepend(row);
    }
    table.hidden = false;
    const none = document.getElementById("no-backups");
    if (none) none.hidden = true;
    const taken = (backup.taken_at || backup.requested_at || "").slice(0, 16).replace("T", " ");
    setField(row, "taken_at", taken ? taken + " UTC" : "—");
    const words = backup.status === "waiting-for-store" ? "waiting for the backup store" : backup.status;
    setField(row, "status", words + (backup.error ? ": " + backup.error : ""));
    setField(row, "consistency", backup.consistency || "—");
    let size = "—";
    if (backup.image_bytes !== null && backup.image_bytes !== undefined) size = bytes(backup.image_bytes);
    else if (backup.done_bytes) size = bytes(backup.done_bytes) + (backup.total_bytes ? " of " + bytes(backup.total_bytes) : "") + " so far";
    setField(row, "size", size);
    const restore = row.querySelector('[data-field="restore"]');
    if (restore && backup.status === "done" && !restore.querySelector("a")) {
      const link = document.createElement("a");
      link.className = "button";
      link.dataset.restore = "";
      link.href = "/capsuls/" + encodeURIComponent(backup.capsul) + "/backups/" + encodeURIComponent(backup.id) + "/restore";
      link.textContent = "Restore…";
      restore.appendChild(link);
    }
  }

  function bytes(n) {  // as the server's human_bytes (capsul/hub/usage.py): powers of 1000
    const units = ["B", "kB", "MB", "GB", "TB"];
    let i = 0;
    while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
    return (i ? n.toFixed(1) : n.toFixed(0)) + " " + units[i];
  }

  function handle(message) {
    const data = message.data;
    if (message.type === "snapshot") {
      if (page === "list") listSnapshot(data.capsuls);
      if (page === "detail") {
        if (data.watched) detail(data.watched);
        if (data.events) timeline(data.events);
      }
      if (page === "admin") refreshAdmin("capsul.state");
    } else if (message.type === "capsul.state") {
      if (page === "list") listRow(data.capsul);
      if (page === "detail" && data.capsul.id === watched) {
        detail(data.capsul);
        if (data.event.timeline) document.getElementById("timeline").prepend(timelineItem(data.event));
        const moving = document.getElementById("move-progress");
        if (moving && data.capsul.state !== "migrating") moving.hidden = true;
      }
      if (page === "admin") refreshAdmin(message.type);
    } else if (message.type === "hosts.changed" && page === "admin") {
      refreshAdmin(message.type);
    } else if (message.type === "capsul.backup") {
      if (page === "detail" && data.capsul === watched) backupRow(data.backup);
    } else if (message.type === "capsul.move") {
      if (page === "detail" && data.capsul === watched) moveProgress(data.move);
    } else if (message.type === "capsul.usage") {
      // the graphs (usage.js) take it from here
      document.dispatchEvent(new CustomEvent("capsul:usage", { detail: data }));
    }
  }

  function connect() {
    const params = new URLSearchParams();
    if (watched) params.set("capsul", watched);
    if (page === "admin" || document.body.dataset.scope === "all") params.set("scope", "all");  // an admin's view
    if (usage) params.set("usage", "1");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + location.host + "/ws?" + params.toString());
    let opened = false;
    socket.onopen = function () {
      opened = true;
      delay = 500;
      showStatus("");
      document.body.dataset.liveConnected = "yes";
      if (usage && document.hidden) sayVisibility();
    };
    socket.onmessage = function (event) {
      try { handle(JSON.parse(event.data)); } catch (e) { console.error("capsul live update:", e); }
    };
    socket.onclose = function (event) {
      document.body.dataset.liveConnected = "no";
      // 4001-4003: the login this page stood on ended (hub/connections.py CLOSE_CODES)
      if (event.code >= 4001 && event.code <= 4003) return loggedOut();
      showStatus("Live updates paused; reconnecting…");
      if (!opened) {  // refused at the handshake: a browser is not told why, so ask whether the login still holds
        fetch("/account", { redirect: "manual", credentials: "same-origin" }).then(function (r) {
          if (r.type === "opaqueredirect" || r.status === 401) loggedOut(); else retry();
        }, retry);
      } else {
        retry();
      }
    };
  }
  function retry() {
    setTimeout(connect, delay + Math.random() * delay / 2);
    delay = Math.min(delay * 2, 15000);
  }
  function loggedOut() {
    status.textContent = "You were logged out (in another tab or browser, or your login expired). ";
    const link = document.createElement("a");
    link.href = "/login?next=" + encodeURIComponent(location.pathname);
    link.textContent = "Log in again";
    status.append(link, ".");
    status.hidden = false;
    document.body.dataset.liveConnected = "logged-out";
  }
  // An action's answer waits for the host (a shutdown up to a minute): say it is under way meanwhile.
  const UNDER_WAY = { start: "Starting…", shutdown: "Shutting down… (this can take a minute)",
                      "force-stop": "Forcing off…", reboot: "Rebooting…" };
  if (page === "detail") {
    document.querySelectorAll("form[data-action]").forEach(function (form) {
      form.addEventListener("submit", function () {
        document.querySelectorAll("form[data-action] button").forEach(function (b) { b.disabled = true; });
        form.querySelector("button").textContent = UNDER_WAY[form.dataset.action] || "Working…";
        form.setAttribute("aria-busy", "true");
      });
    });
  }
  // The usage graphs want new points only while the page is visible: tell the hub when that changes.
  function sayVisibility() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "usage", visible: !document.hidden }));
    }
  }
  if (usage) document.addEventListener("visibilitychange", sayVisibility);
  connect();
})();
