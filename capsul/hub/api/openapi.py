"""The OpenAPI 3 document of the public API (GET /api/v1/openapi.json).

Written by hand next to the routes (routes.py); a test checks that every route of the
API is here and the other way round, and schemathesis checks the server against it.
"""
from __future__ import annotations

from capsul import vm_states


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _json(_ref("Error"), "refused: the message says why")
_STATES = list(vm_states.ALL)


def _errors(*statuses: int) -> dict:
    return {str(s): ERROR for s in (401, *statuses)}


def _one(key: str, schema: str) -> dict:
    return {"type": "object", "required": [key], "properties": {key: _ref(schema)}}


def _many(key: str, schema: str) -> dict:
    return {"type": "object", "required": [key], "properties": {key: {"type": "array", "items": _ref(schema)}}}


def _created() -> dict:
    return {"type": "object", "required": ["capsul", "operation_id"],
            "properties": {"capsul": _ref("Capsul"), "operation_id": {"type": "string", "format": "uuid"}}}


BACKUP_ID = {"name": "backup_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
VM_ID = {"name": "vm_id", "in": "path", "required": True, "schema": {"type": "string", "example": "capsul-abcde12345"}}
ADDRESS = {"name": "address", "in": "path", "required": True, "schema": {"type": "string", "example": "203.0.113.5"}}
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string",
                                                                                         "maxLength": 200},
                   "description": "a retry with the same key returns the first result and does nothing again"}

PATHS = {
    "/sizes": {"get": {"summary": "Sizes on sale", "operationId": "listSizes",
                       "responses": {"200": _json(_many("sizes", "Size"), "sizes"), **_errors()}}},
    "/images": {"get": {"summary": "OS images on offer", "operationId": "listImages",
                        "responses": {"200": _json(_many("images", "Image"), "images"), **_errors()}}},
    "/ssh-keys": {
        "get": {"summary": "Your SSH keys", "operationId": "listSshKeys",
                "responses": {"200": _json(_many("ssh_keys", "SshKey"), "keys"), **_errors()}},
        "post": {"summary": "Add an SSH public key", "operationId": "addSshKey",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["content"], "properties": {
                         "content": {"type": "string", "description": "one public key line"},
                         "name": {"type": "string", "description": "default: the key's comment"}}}}}},
                 "responses": {"201": _json(_one("ssh_key", "SshKey"), "added"), **_errors(400, 403)}}},
    "/ssh-keys/{name}": {"delete": {
        "summary": "Delete an SSH key (capsuls made with it keep it)", "operationId": "deleteSshKey",
        "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _json({"type": "object", "properties": {"deleted": {"type": "string"}}}, "deleted"),
                      **_errors(403, 404)}}},
    "/capsuls": {
        "get": {"summary": "Your capsuls", "operationId": "listCapsuls",
                "responses": {"200": _json(_many("capsuls", "Capsul"), "capsuls"), **_errors()}},
        "post": {"summary": "Create a capsul: returns once a host owns it; `running` follows",
                 "operationId": "createCapsul",
                 "parameters": [IDEMPOTENCY_KEY],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["size", "os", "ssh_keys"], "properties": {
                         "size": {"type": "string", "example": "f1-xs"},
                         "os": {"type": "string", "example": "debian12"},
                         "ssh_keys": {"type": "array", "items": {"type": "string"}, "minItems": 1}}}}}},
                 "responses": {"201": _json(_created(), "created (a host owns it)"),
                               "200": _json(_created(), "the first result of this Idempotency-Key"),
                               **_errors(400, 402, 403, 409, 503)}}},
    "/capsuls/{vm_id}": {
        "get": {"summary": "One capsul", "operationId": "getCapsul", "parameters": [VM_ID],
                "responses": {"200": _json(_one("capsul", "Capsul"), "the capsul"), **_errors(404)}},
        "delete": {"summary": "Delete a capsul (its disk is erased)", "operationId": "deleteCapsul",
                   "parameters": [VM_ID],
                   "responses": {"200": _json(_one("capsul", "Capsul"), "deleted"),
                                 **_errors(403, 404, 409, 503)}}},
    "/capsuls/{vm_id}/actions": {"post": {
        "summary": "Start, shut down, force off or reboot", "operationId": "capsulAction", "parameters": [VM_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["action"], "properties": {
                "action": {"type": "string", "enum": ["start", "shutdown", "force-stop", "reboot"]}}}}}},
        "responses": {"200": _json(_one("capsul", "Capsul"), "the capsul afterwards"),
                      **_errors(400, 402, 403, 404, 409, 503)}}},
    "/capsuls/{vm_id}/rebuild": {"post": {
        "summary": "Reinstall it: a fresh disk of an image; id, addresses and size stay", "operationId": "rebuildCapsul",
        "parameters": [VM_ID, IDEMPOTENCY_KEY],
        "description": (
            "Everything on its disk is erased. Its disk becomes a fresh copy of `os` (default: its own image) and "
            "cloud-init runs again with `ssh_keys` (names of your keys; default: the capsul's own keys), so its SSH "
            "host keys change (the new fingerprints appear once the guest prints them). Running or stopped, it ends "
            "running. While its host works the state is `rebuilding`; 202 if the host has not answered yet (it is "
            "asked again until it does: follow the state)."),
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "os": {"type": "string"}, "ssh_keys": {"type": "array", "items": {"type": "string"}},
                "back_up_first": {"type": "boolean", "default": False,
                                  "description": "take a backup, and wait until it is in the store, before "
                                                 "anything is erased; a backup that fails refuses the rebuild (409)"}}}}}},
        "responses": {"200": _json(_one("capsul", "Capsul"), "rebuilt"),
                      "202": _json(_one("capsul", "Capsul"), "under way (rebuilding)"),
                      **_errors(400, 404, 409, 503)}}},
    "/capsuls/{vm_id}/resize": {"post": {
        "summary": "Give it another size: vCPUs and memory at a restart, the disk grown", "operationId": "resizeCapsul",
        "parameters": [VM_ID, IDEMPOTENCY_KEY],
        "description": (
            "vCPUs and memory change when the capsul restarts: `restart` `now` (the default) shuts it down (ACPI) "
            "and starts it again, forcing it off after SHUTDOWN_TIMEOUT only if `force` is true; `next-stop` leaves "
            "it running until it next stops. The disk only grows (the guest grows its filesystem at its next boot); "
            "a smaller disk is refused (409). The new price applies from the next hour. 503 when its host has no "
            "room; 402/403 when the balance or the account's limits do not cover the new size."),
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["size"], "properties": {
                "size": {"type": "string"}, "restart": {"type": "string", "enum": ["now", "next-stop"]},
                "force": {"type": "boolean", "default": False}}}}}},
        "responses": {"200": _json(_one("capsul", "Capsul"), "resized"),
                      "202": _json(_one("capsul", "Capsul"), "under way (resizing)"),
                      **_errors(400, 402, 403, 404, 409, 503)}}},
    "/capsuls/{vm_id}/backups": {
        "get": {
            "summary": "The capsul's backups and their schedule", "operationId": "capsulBackups", "parameters": [VM_ID],
            "description": (
                "Newest first: finished (`done`, restorable), under way (`queued`, `taking`, `uploading`, "
                "`waiting-for-store`: the backup store does not answer yet, it is tried again) and `failed` ones "
                "(`error` says why). `consistency`: `application` (the guest's filesystems were frozen through "
                "qemu-guest-agent), `crash` (no agent answered: as after a power cut), `stopped` (copied while off)."),
            "responses": {"200": _json(_ref("Backups"), "the backups"), **_errors(404)}},
        "post": {
            "summary": "Back it up now", "operationId": "backUpCapsul", "parameters": [VM_ID, IDEMPOTENCY_KEY],
            "description": ("The guest keeps running (frozen only for the moment the backup's point in time is "
                            "fixed). 202 while under way: follow GET …/backups or the live events (`capsul.backup`). "
                            "409 when one is under way already."),
            "responses": {"200": _json(_one("backup", "Backup"), "ended already"),
                          "202": _json(_one("backup", "Backup"), "under way"), **_errors(400, 404, 409, 503)}}},
    "/capsuls/{vm_id}/backups/schedule": {"put": {
        "summary": "Daily backups, their window, and what is kept", "operationId": "setBackupSchedule",
        "parameters": [VM_ID],
        "description": ("`window_start` is an hour of the day in UTC and `window_hours` how long the window is. "
                        "Retention as Proxmox's: keep-last, then the newest backup of each of the last N days, ISO "
                        "weeks and months that have one; protected backups are always kept. Fields left out stay."),
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("BackupSchedule")}}},
        "responses": {"200": _json(_one("schedule", "BackupSchedule"), "the schedule now"), **_errors(400, 404)}}},
    "/capsuls/{vm_id}/backups/{backup_id}/protect": {"post": {
        "summary": "Keep a backup whatever the retention says (or let it go again)", "operationId": "protectBackup",
        "parameters": [VM_ID, BACKUP_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["protected"], "properties": {"protected": {"type": "boolean"}}}}}},
        "responses": {"200": _json(_one("backup", "Backup"), "the backup now"), **_errors(400, 404)}}},
    "/capsuls/{vm_id}/backups/{backup_id}/restore": {"post": {
        "summary": "Put a backup back under the capsul", "operationId": "restoreBackup",
        "parameters": [VM_ID, BACKUP_ID, IDEMPOTENCY_KEY],
        "description": ("Its host fetches the backup and checks its digest first; then the capsul is stopped, its "
                        "disk replaced by the backup's (what was written since is lost), and it starts with the same "
                        "addresses and keys. While under way the state is `restoring`; 202 if its host has not "
                        "answered yet. A failed fetch changes nothing (409, with the reason)."),
        "responses": {"200": _json(_one("capsul", "Capsul"), "restored"),
                      "202": _json(_one("capsul", "Capsul"), "under way (restoring)"),
                      **_errors(400, 404, 409, 503)}}},
    "/capsuls/{vm_id}/backups/{backup_id}/new-capsul": {"post": {
        "summary": "A new capsul from a backup", "operationId": "restoreBackupAsNew",
        "parameters": [VM_ID, BACKUP_ID, IDEMPOTENCY_KEY],
        "description": ("Placed like a create, with new addresses; its disk is the backup's (checked against its "
                        "digest by the host that builds it). `size` (default: the backed-up capsul's) must hold the "
                        "backup's disk; `ssh_keys` default to the backed-up capsul's. 201 once a host owns it."),
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "size": {"type": "string"}, "ssh_keys": {"type": "array", "items": {"type": "string"}}}}}}},
        "responses": {"201": _json(_created(), "created: a host owns it, `running` follows"),
                      "200": _json(_created(), "the same request again (Idempotency-Key)"),
                      **_errors(400, 402, 403, 404, 409, 503)}}},
    "/capsuls/{vm_id}/metrics": {"get": {
        "summary": "The capsul's usage series", "operationId": "capsulMetrics",
        "parameters": [VM_ID, {"name": "range", "in": "query", "required": False,
                               "schema": {"type": "string", "enum": ["1h", "1d", "7d", "30d"], "default": "1h"}}],
        "description": (
            "Usage over the range, oldest point first, one list per figure (`t` in unix seconds): CPU % of the "
            "capsul's vCPUs, memory in use (bytes), disk read/write and network in/out (bytes per second). 1h: each "
            "sample (every METRICS_INTERVAL); 1d and 7d: 5-minute averages; 30d: hourly averages. `usage_reported` "
            "is false on a hypervisor that reports no usage (libvirt's test driver). `transfer`: this calendar "
            "month's received + sent bytes against the size's allowance (GB of 10^9 bytes)."),
        "responses": {"200": _json(_ref("Usage"), "the series"), **_errors(400, 404)}}},
    "/capsuls/{vm_id}/console": {"get": {
        "summary": "The capsul's serial console (a websocket)", "operationId": "serialConsole", "parameters": [VM_ID],
        "description": (
            "A WebSocket (send the Upgrade headers) attached to the capsul's serial console (ttyS0); needs a "
            "read-write token. Binary frames carry console bytes both ways: first the end of the console log "
            "(up to 64 KiB), then live output; what you send is typed into the capsul (at most 16 KiB a frame). "
            "Text frames from the hub are JSON: {\"type\": \"attached\"} once live output follows, and "
            "{\"type\": \"end\", \"reason\", \"message\"} before it closes. Reasons: stopped, not_running, "
            "taken_over (opened elsewhere: one session per capsul), spoke_gone, idle (CONSOLE_IDLE_TIMEOUT), "
            "too_slow (you did not read its output fast enough), unsupported, unavailable, hub_stopping, closed. "
            "`python run.py console CAPSUL` is a client."),
        "responses": {"101": {"description": "switched to the WebSocket protocol"},
                      **_errors(400, 403, 404)}}},
    "/capsuls/{vm_id}/firewall": {
        "get": {"summary": "The capsul's inbound firewall", "operationId": "capsulFirewall", "parameters": [VM_ID],
                "description": (
                    "`mode` default: the provider's `default` (allow-all, or ssh-only: TCP 22) applies and the "
                    "rules wait; `rules`: only the rules let traffic in. Established and related traffic is always "
                    "let back in, and the capsul may send only from its own MAC and addresses."),
                "responses": {"200": _json(_one("firewall", "Firewall"), "its firewall"), **_errors(404)}},
        "put": {"summary": "Use the provider's default or only the capsul's rules", "operationId": "setFirewallMode",
                "parameters": [VM_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["mode"], "properties": {
                        "mode": {"type": "string", "enum": ["default", "rules"]}}}}}},
                "responses": {"200": _json(_one("firewall", "Firewall"), "its firewall"), **_errors(400, 403, 404)}}},
    "/capsuls/{vm_id}/firewall/rules": {"post": {
        "summary": "Allow inbound traffic", "operationId": "addFirewallRule", "parameters": [VM_ID],
        "description": "In force on its host within moments (pushed by the hub; the timeline says so). At most 50.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("FirewallRuleIn")}}},
        "responses": {"201": _json(_one("rule", "FirewallRule"), "added"), **_errors(400, 403, 404)}}},
    "/capsuls/{vm_id}/firewall/rules/{rule_id}": {"delete": {
        "summary": "Remove a rule", "operationId": "removeFirewallRule",
        "parameters": [VM_ID, {"name": "rule_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": _json({"type": "object"}, "removed"), **_errors(403, 404)}}},
    "/capsuls/{vm_id}/reverse-dns": {"get": {
        "summary": "The PTR names of the capsul's addresses", "operationId": "capsulReverseDns", "parameters": [VM_ID],
        "description": "404 where the provider offers no reverse DNS. `state`: default (never set), pending, "
                       "pushed, or failed (tried again by itself; `error` says why).",
        "responses": {"200": _json(_many("reverse_dns", "ReverseDns"), "each address"), **_errors(404)}}},
    "/capsuls/{vm_id}/reverse-dns/{address}": {
        "put": {"summary": "Set an address's PTR name", "operationId": "setReverseDns", "parameters": [VM_ID, ADDRESS],
                "description": "Accepted only when the name resolves to the address (A for IPv4, AAAA for IPv6); "
                               "503 when that cannot be looked up just now.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["name"], "properties": {"name": {"type": "string", "maxLength": 254}}}}}},
                "responses": {"200": _json(_one("reverse_dns", "ReverseDns"), "set"), **_errors(400, 403, 404, 503)}},
        "delete": {"summary": "Give an address its default PTR name back", "operationId": "resetReverseDns",
                   "parameters": [VM_ID, ADDRESS],
                   "responses": {"200": _json(_one("reverse_dns", "ReverseDns"), "reset"), **_errors(403, 404)}}},
    "/operations/{op_id}": {"get": {
        "summary": "One of your operations (a create's, say)", "operationId": "getOperation",
        "parameters": [{"name": "op_id", "in": "path", "required": True,
                        "schema": {"type": "string", "format": "uuid"}}],
        "responses": {"200": _json(_one("operation", "Operation"), "the operation"), **_errors(404)}}},
}


_NUMBERS = {"type": "array", "items": {"type": ["number", "null"]}}

SCHEMAS = {
    "Usage": {"type": "object", "required": ["capsul", "range", "series", "transfer"], "properties": {
        "capsul": {"type": "string"}, "range": {"type": "string"},
        "step_seconds": {"type": ["integer", "null"]}, "usage_reported": {"type": ["boolean", "null"]},
        "series": {"type": "object", "properties": {name: _NUMBERS for name in (
            "t", "cpu_percent", "memory_bytes", "disk_read_bytes_per_s", "disk_write_bytes_per_s",
            "net_rx_bytes_per_s", "net_tx_bytes_per_s")}},
        "transfer": {"type": "object", "properties": {
            "bytes": {"type": "integer"}, "gb": {"type": "number"}, "allowance_gb": {"type": "integer"},
            "percent": {"type": ["number", "null"]}}}}},
    "Error": {"type": "object", "required": ["ok", "error", "status"], "properties": {
        "ok": {"type": "boolean", "enum": [False]}, "error": {"type": "string"}, "status": {"type": "integer"}}},
    "Size": {"type": "object", "properties": {
        "id": {"type": "string"}, "dollars_per_month": {"type": "string"}, "vcpus": {"type": "integer"},
        "memory_mb": {"type": "integer"}, "disk_gb": {"type": "integer"}, "bandwidth_gb": {"type": "integer"}}},
    "Image": {"type": "object", "properties": {"id": {"type": "string"}, "description": {"type": "string"}}},
    "SshKey": {"type": "object", "properties": {
        "name": {"type": "string"}, "content": {"type": "string"}, "fingerprint": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"}}},
    "Capsul": {"type": "object", "required": ["id", "state"], "properties": {
        "id": {"type": "string"}, "state": {"type": "string", "enum": _STATES},
        "size": {"type": "string"}, "os": {"type": "string"},
        "public_ipv4": {"type": ["string", "null"], "description": "the address the guest has (set once a host "
                        "owns the capsul); log in with ssh cyberian@ADDRESS"},
        "public_ipv6": {"type": ["string", "null"],
                        "description": "its IPv6 address, where its host's pool has IPv6"},
        "created_at": {"type": "string", "format": "date-time"},
        "state_changed_at": {"type": "string", "format": "date-time"},
        "failure_reason": {"type": ["string", "null"]},
        "problem": {"type": ["string", "null"],
                    "description": "what is wrong: a failed capsul's reason, or why a crashed one crashed"},
        "actions": {"type": "array", "items": {"type": "string"}, "description": "what the state allows now"},
        "changes": {"type": "array", "items": {"type": "string", "enum": ["rebuild", "resize", "restore"]},
                    "description": "whether it can be rebuilt or resized now (running or stopped)"},
        "deletable": {"type": "boolean"},
        "ssh_host_keys": {"type": "array", "items": {"type": "object"}}}},
    "Backup": {"type": "object", "required": ["id", "status"], "properties": {
        "id": {"type": "string", "format": "uuid"}, "capsul": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "taking", "uploading", "waiting-for-store", "done", "failed",
                                              "pruned"]},
        "reason": {"type": "string", "enum": ["asked", "scheduled", "before-rebuild"]},
        "consistency": {"type": ["string", "null"], "enum": ["application", "crash", "stopped", None]},
        "os_image": {"type": ["string", "null"]}, "disk_bytes": {"type": ["integer", "null"]},
        "image_bytes": {"type": ["integer", "null"]},
        "stored_bytes": {"type": ["integer", "null"], "description": "what it added to the store (deduplicated)"},
        "digest": {"type": ["string", "null"], "description": "SHA-256 of the backup's image"},
        "protected": {"type": "boolean"}, "error": {"type": ["string", "null"]},
        "done_bytes": {"type": ["integer", "null"]}, "total_bytes": {"type": ["integer", "null"]},
        "requested_at": {"type": "string", "format": "date-time"},
        "taken_at": {"type": ["string", "null"], "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"}}},
    "BackupSchedule": {"type": "object", "properties": {
        "daily": {"type": "boolean"}, "window_start": {"type": "integer", "minimum": 0, "maximum": 23},
        "window_hours": {"type": "integer", "minimum": 1, "maximum": 24},
        **{k: {"type": "integer", "minimum": 0, "maximum": 1000}
           for k in ("keep_last", "keep_daily", "keep_weekly", "keep_monthly")}}},
    "Backups": {"type": "object", "required": ["backups", "schedule"], "properties": {
        "enabled": {"type": "boolean"}, "backups": {"type": "array", "items": _ref("Backup")},
        "schedule": _ref("BackupSchedule"), "limit": {"type": "integer"},
        "price_per_gb_month": {"type": ["number", "null"]}}},
    "FirewallRuleIn": {"type": "object", "required": ["protocol"], "properties": {
        "protocol": {"type": "string", "enum": ["tcp", "udp", "icmp"]},
        "port_from": {"type": ["integer", "null"], "minimum": 1, "maximum": 65535, "description": "TCP/UDP only"},
        "port_to": {"type": ["integer", "null"], "minimum": 1, "maximum": 65535, "description": "default: port_from"},
        "source": {"type": ["string", "null"], "description": "an IPv4 or IPv6 network; null: anywhere"},
        "note": {"type": ["string", "null"], "maxLength": 100}}},
    "FirewallRule": {"type": "object", "properties": {
        "id": {"type": "integer"}, "protocol": {"type": "string"}, "port_from": {"type": ["integer", "null"]},
        "port_to": {"type": ["integer", "null"]}, "source": {"type": ["string", "null"]},
        "note": {"type": ["string", "null"]}, "words": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"}}},
    "Firewall": {"type": "object", "required": ["mode", "rules"], "properties": {
        "mode": {"type": "string", "enum": ["default", "rules"]},
        "default": {"type": "string", "enum": ["allow-all", "ssh-only"]}, "default_words": {"type": "string"},
        "rules": {"type": "array", "items": _ref("FirewallRule")}}},
    "ReverseDns": {"type": "object", "properties": {
        "address": {"type": "string"}, "name": {"type": "string"}, "default": {"type": "string"},
        "custom": {"type": "boolean"}, "state": {"type": "string", "enum": ["default", "pending", "pushed", "failed"]},
        "error": {"type": ["string", "null"]}}},
    "Operation": {"type": "object", "properties": {
        "id": {"type": "string", "format": "uuid"}, "type": {"type": "string"},
        "vm_id": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": ["pending", "assigned", "completed", "failed"]},
        "error": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"},
        "assigned_at": {"type": ["string", "null"]}, "completed_at": {"type": ["string", "null"]}}},
}


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "capsul", "version": "1",
                 "description": "Small virtual machines. Authenticate with a personal API token from the "
                                "console: `Authorization: Bearer <token>`. Live events: GET /ws with the same "
                                "header (a websocket; one envelope {type, ts, data})."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
                       "schemas": SCHEMAS},
    }
