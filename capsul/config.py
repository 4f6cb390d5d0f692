"""One typed, validated configuration for a capsul process.

Values come from the environment, then from an optional `.env` file (the environment
wins). Every problem is a ConfigError naming the variable, so `run.py` can print one
clear line and exit with status 2.
"""
from __future__ import annotations

import dataclasses
import enum
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

REPO_ROOT = Path(__file__).resolve().parent.parent

HOST_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
TOKEN_RE = re.compile(r"^[0-9a-f]{64}$")


class Role(enum.Enum):
    BOTH = "hub+spoke"
    HUB = "hub"
    SPOKE = "spoke"

    @property
    def hub(self) -> bool:
        return self in (Role.BOTH, Role.HUB)

    @property
    def spoke(self) -> bool:
        return self in (Role.BOTH, Role.SPOKE)


class ConfigError(Exception):
    """A bad or missing setting; str() is the one line shown to the operator."""

    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Config:
    role: Role
    var_dir: Path
    database_url: str | None  # None: run the embedded PostgreSQL under var_dir
    pg_bin_dir: Path | None  # None: find PostgreSQL's binaries
    auto_migrate: bool  # a hub brings its database's schema up to date when it starts
    libvirt_uri: str
    console_listen: Listen
    api_listen: Listen
    hub_url: str | None
    spoke_host_id: str
    spoke_host_token: str | None
    hub_token: str | None
    tls_cert_file: Path | None  # None: a self-signed certificate under var_dir/tls
    tls_key_file: Path | None
    tls_ca_file: Path | None  # None: var_dir/tls/ca.pem when self-signed, else system CAs
    tls_hostnames: tuple[str, ...]
    heartbeat_interval: float
    heartbeat_timeout: float
    heartbeat_misses: int
    token_grace_period: float
    operation_timeout: float
    operation_retries: int
    create_offer_timeout: float
    create_offer_parallelism: int
    claim_retry_window: float
    overcommit_cpu_ratio: float
    overcommit_memory_ratio: float
    resync_interval: float
    stopped_debounce: float
    os_images_dir: Path
    vm_storage_dir: Path
    libvirt_domain_type: str
    shutdown_timeout: float
    shutdown_force: bool
    drain_seconds: float  # after SIGTERM, a hub says "draining" on /healthz this long before it stops
    log_level: str
    base_url: str | None  # None: the console listener's own http:// URL
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]  # may set X-Forwarded-For
    connections_per_address: int
    request_head_timeout: float
    request_body_timeout: float
    secret_key: str | None  # None: one generated key kept in the database, shared by every hub
    admin_emails: frozenset[str]
    console_idle_timeout: float  # 0: never
    live_connections_per_account: int
    live_connections_per_token: int
    consoles_per_account: int
    consoles_per_token: int
    metrics_interval: float
    metrics_token: str | None  # None: GET /metrics is off
    mail_server: str | None  # None: login links are written to the log instead of mailed
    mail_port: int
    mail_username: str | None
    mail_password: str | None
    mail_use_tls: bool
    mail_default_sender: str
    support_email: str | None
    billing_enabled: bool
    metering_interval: float
    min_balance_days: float
    account_max_capsuls: int
    account_max_vcpus: int
    account_max_memory_mb: int
    zero_balance_grace_days: float
    stripe_secret_key: str | None
    stripe_webhook_secret: str | None
    stripe_api_url: str
    btcpay_url: str | None
    btcpay_api_key: str | None
    btcpay_store_id: str | None
    btcpay_webhook_secret: str | None
    backup_store: str | None  # None: backups are off (docs/backups.md)
    backup_password_file: Path | None
    backup_ssh_key: Path | None
    backup_ssh_known_hosts: Path | None
    backup_concurrency: int
    backup_spool_dir: Path
    backup_store_max_backoff: float
    backups_per_capsul: int
    backup_price_per_gb_month: float
    image_keep_days: float
    image_fetch_concurrency: int
    image_fetch_stall_timeout: float
    image_fetch_attempts: int
    image_cleanup_interval: float
    migration_uri: str | None  # None: nothing moves to this host live (docs/moves.md)
    migration_tls: bool
    migration_bandwidth_mib: int
    cold_move_timeout: float
    firewall_default: str  # allow-all or ssh-only: a capsul's inbound firewall until its owner sets rules
    firewall_resync_interval: float
    firewall: str  # auto, nftables or off (docs/firewall.md)
    firewall_netns: str | None
    firewall_table: str
    firewall_check_interval: float
    rdns_pdns_url: str | None  # None: reverse DNS is not offered (docs/reverse-dns.md)
    rdns_pdns_api_key: str | None
    rdns_pdns_server: str
    rdns_default_domain: str | None
    rdns_resolvers: list[str]
    rdns_ttl: int
    rdns_sync_interval: float
    rdns_retry_max: float

    @property
    def enforces_firewall(self) -> bool:
        """Whether this spoke writes nftables rules: FIREWALL=nftables, or auto on a real hypervisor."""
        return self.firewall == "nftables" or (self.firewall == "auto" and not self.libvirt_uri.startswith("test:"))

    @property
    def spoke_dir(self) -> Path:
        """The spoke's own state (its event journal)."""
        return self.var_dir / f"spoke-{self.spoke_host_id}"

    def replace(self, **changes) -> Config:
        return dataclasses.replace(self, **changes)

    @property
    def tls_dir(self) -> Path:
        return self.var_dir / "tls"

    @property
    def postgres_dir(self) -> Path:
        return self.var_dir / "postgres"


# Every variable capsul reads, with its default ("" = unset) and a line for docs/configuration.md.
VARIABLES: dict[str, tuple[str, str]] = {
    "CAPSUL_ENV_FILE": (".env", "file of KEY=VALUE lines read at start; the environment wins over it"),
    "CAPSUL_VAR_DIR": ("var", "state folder: embedded PostgreSQL, self-signed TLS (relative to the repository)"),
    "DATABASE_URL": ("", "PostgreSQL to use (libpq URL or DSN); unset: a private cluster under CAPSUL_VAR_DIR"),
    "PG_BIN_DIR": ("", "folder of initdb/pg_ctl for the embedded cluster; unset: newest /usr/lib/postgresql/*/bin"),
    "AUTO_MIGRATE": ("true", "a hub applies the database migrations it brings when it starts; false: it refuses a "
                             "database that needs them (run `run.py migrate`)"),
    "LIBVIRT_URI": ("test:///default", "hypervisor the spoke manages"),
    "CONSOLE_LISTEN": ("127.0.0.1:5000", "host:port of the web console (hub, plain HTTP)"),
    "API_LISTEN": ("127.0.0.1:5443", "host:port of the hub↔spoke API (HTTPS); port 0 picks a free one"),
    "HUB_URL": ("", "the hub's API URL, e.g. https://hub.example:5443 (spoke; derived when hub and spoke share a process)"),
    "SPOKE_HOST_ID": ("local", "this spoke's id in the hub's hosts table"),
    "SPOKE_HOST_TOKEN": ("", "the spoke signs its requests to the hub with it (from `run.py add-host`)"),
    "HUB_TOKEN": ("", "the hub signs its requests to this spoke with it (from `run.py add-host`)"),
    "TLS_CERT_FILE": ("", "PEM certificate of the API listener; unset: self-signed under CAPSUL_VAR_DIR/tls"),
    "TLS_KEY_FILE": ("", "PEM private key for TLS_CERT_FILE"),
    "TLS_CA_FILE": ("", "PEM CA bundle trusted for hub↔spoke calls; unset: the self-signed CA, or system CAs"),
    "TLS_HOSTNAMES": ("", "extra comma-separated names/addresses for the self-signed certificate"),
    "HEARTBEAT_INTERVAL": ("5", "seconds between the hub's heartbeat sweeps"),
    "HEARTBEAT_TIMEOUT": ("2", "seconds a spoke has to answer a heartbeat (at most HEARTBEAT_INTERVAL)"),
    "HEARTBEAT_MISSES": ("3", "missed heartbeats in a row after which a spoke is offline"),
    "TOKEN_GRACE_PERIOD": ("86400", "seconds old tokens stay valid after `run.py rotate-token`"),
    "OPERATION_TIMEOUT": ("10", "seconds a hub↔spoke operation call may take (list, get, destroy, claim, …)"),
    "OPERATION_RETRIES": ("2", "extra attempts of an operation call that got no answer (same operation id)"),
    "CREATE_OFFER_TIMEOUT": ("10", "seconds a spoke has to accept and claim an offered create"),
    "CREATE_OFFER_PARALLELISM": ("1", "spokes a create is offered to at once (the best ranked first)"),
    "CLAIM_RETRY_WINDOW": ("60", "seconds a spoke keeps retrying a claim whose answer was lost"),
    "OVERCOMMIT_CPU_RATIO": ("4", "vCPUs sold per host CPU"),
    "OVERCOMMIT_MEMORY_RATIO": ("1", "memory sold per host memory"),
    "RESYNC_INTERVAL": ("60", "seconds between the hub's full syncs with each spoke (besides those on restarts and gaps)"),
    "STOPPED_DEBOUNCE": ("0.5", "seconds a spoke holds back `stopped`, dropped if the VM starts again (a reboot)"),
    "OS_IMAGES_DIR": ("var/os-images", "folder of OS images (the file names in os_images) on a spoke"),
    "VM_STORAGE_DIR": ("var/vms", "folder of VM disks (qcow2 overlays), seed ISOs and console logs on a spoke"),
    "LIBVIRT_DOMAIN_TYPE": ("kvm", "kvm, or qemu for software emulation (libvirt's test driver always uses test)"),
    "SHUTDOWN_TIMEOUT": ("60", "seconds a `shutdown` (ACPI) may take before it is reported as not done"),
    "SHUTDOWN_FORCE": ("true", "whether a shutdown that times out forces the VM off"),
    "DRAIN_SECONDS": ("0", "after SIGTERM a hub answers 503 \"draining\" on /healthz this long, still serving, so a "
                           "load balancer stops sending to it first (set it above the balancer's check interval × fall)"),
    "LOG_LEVEL": ("INFO", "DEBUG, INFO, WARNING or ERROR"),
    "BASE_URL": ("", "the console's public URL, used in login links and for the websocket Origin check, "
                     "e.g. https://capsul.example; unset: the console listener's http:// URL. "
                     "Session cookies are Secure when it is https"),
    "TRUSTED_PROXIES": ("", "comma-separated addresses or networks (CIDR) of the load balancers or reverse "
                            "proxies in front of the console; the client's address is then read from the "
                            "X-Forwarded-For they set (for per-client rate limits). Unset: the peer's address"),
    "CONNECTIONS_PER_ADDRESS": ("100", "connections one client address may hold open at once on each listener; "
                                       "more are closed at once (TRUSTED_PROXIES are exempt)"),
    "REQUEST_HEAD_TIMEOUT": ("15", "seconds a connection has to send a request's head (and an idle keep-alive "
                                   "connection is kept); then it is closed"),
    "REQUEST_BODY_TIMEOUT": ("30", "seconds a request's body may take to arrive; then 408"),
    "SECRET_KEY": ("", "Fernet key (44 characters, `python -c 'from cryptography.fernet import Fernet; "
                       "print(Fernet.generate_key().decode())'`) encrypting session cookies; unset: one is "
                       "generated and kept in the database, so every hub shares it"),
    "ADMIN_EMAIL_ADDRESSES": ("", "comma-separated emails of the people who see the admin view"),
    "METRICS_INTERVAL": ("10", "seconds between a spoke's usage samples of its capsuls (one bulk libvirt call)"),
    "METRICS_TOKEN": ("", "bearer token that GET /metrics (Prometheus) must carry, on the hub and on spokes; "
                          "at least 16 characters; unset: /metrics is off"),
    "CONSOLE_IDLE_TIMEOUT": ("900", "seconds a serial console session may go without input before the hub "
                                    "closes it; 0: never"),
    "LIVE_CONNECTIONS_PER_ACCOUNT": ("20", "live-update websockets (/ws: open pages, `run.py watch`) one account may "
                                           "hold open on one hub; more are refused with 429"),
    "LIVE_CONNECTIONS_PER_TOKEN": ("5", "live-update websockets one API token may hold open on one hub"),
    "CONSOLES_PER_ACCOUNT": ("4", "serial console connections one account may hold open on one hub"),
    "CONSOLES_PER_TOKEN": ("2", "serial console connections one API token may hold open on one hub"),
    "MAIL_SERVER": ("", "SMTP server for login mails; unset: each login link is written to the log"),
    "MAIL_PORT": ("587", "SMTP port"),
    "MAIL_USERNAME": ("", "SMTP user name, if the server wants one"),
    "MAIL_PASSWORD": ("", "SMTP password"),
    "MAIL_USE_TLS": ("true", "STARTTLS before sending (as Flask-Mail's MAIL_USE_TLS); false for a local relay"),
    "MAIL_DEFAULT_SENDER": ("capsul@localhost", "the From address of login mails"),
    "SUPPORT_EMAIL": ("", "where people write for help, shown on the support page; unset: MAIL_DEFAULT_SENDER "
                          "when a MAIL_SERVER is set"),
    "BILLING_ENABLED": ("true", "prepaid billing: hourly charges, a balance needed to create, low-balance mails, "
                                "shutdown and deletion when it runs out; false for a free deployment"),
    "METERING_INTERVAL": ("3600", "seconds between metering runs (each charges every hour not charged yet)"),
    "MIN_BALANCE_DAYS": ("1", "days of the account's whole hourly rate, the new capsul's included, a balance "
                              "must cover to create a capsul"),
    "ACCOUNT_MAX_CAPSULS": ("10", "live capsuls one account may hold at once; 0: no limit (an admin sets one "
                                   "account's own on its admin page)"),
    "ACCOUNT_MAX_VCPUS": ("16", "vCPUs one account's live capsuls may have in all; 0: no limit"),
    "ACCOUNT_MAX_MEMORY_MB": ("32768", "MB of memory one account's live capsuls may have in all; 0: no limit"),
    "ZERO_BALANCE_GRACE_DAYS": ("7", "days after the balance reached zero (capsuls shut down) before they are deleted"),
    "STRIPE_SECRET_KEY": ("", "Stripe secret key: card payments through Stripe Checkout (off unless set)"),
    "STRIPE_WEBHOOK_SECRET": ("", "the signing secret of the Stripe webhook endpoint BASE_URL/webhooks/stripe"),
    "STRIPE_API_URL": ("https://api.stripe.com", "Stripe's API (tests point it at a local stand-in)"),
    "BTCPAY_URL": ("", "BTCPay Server URL: crypto payments through its Greenfield API (off unless set)"),
    "BTCPAY_API_KEY": ("", "BTCPay Greenfield API key (invoice create and view permissions)"),
    "BTCPAY_STORE_ID": ("", "the BTCPay store to make invoices in"),
    "BTCPAY_WEBHOOK_SECRET": ("", "the secret of the BTCPay webhook pointing at BASE_URL/webhooks/btcpay"),
    "BACKUP_STORE": ("", "the restic repository backups go to, on another machine: sftp:USER@HOST:/PATH "
                         "(docs/backups.md), or an absolute path where that machine's store is mounted; unset: no backups"),
    "BACKUP_PASSWORD_FILE": ("", "a file holding the backup repository's key (restic encrypts with it); lose it "
                                 "and the backups cannot be read"),
    "BACKUP_SSH_KEY": ("", "the SSH private key a spoke logs in to the backup host with (sftp: stores)"),
    "BACKUP_SSH_KNOWN_HOSTS": ("", "a known_hosts file holding the backup host's key: a host that shows another is refused"),
    "BACKUP_CONCURRENCY": ("1", "backups and restores a spoke runs at once; more wait their turn"),
    "BACKUP_SPOOL_DIR": ("var/backup-spool", "where a spoke keeps a backup's image until the store has it"),
    "BACKUP_STORE_MAX_BACKOFF": ("60", "the longest wait, in seconds, between tries of a backup store that does not answer"),
    "BACKUPS_PER_CAPSUL": ("10", "the most backups one capsul may have in the store; older ones are pruned first"),
    "BACKUP_PRICE_PER_GB_MONTH": ("0.05", "what a GB of backup storage costs for a month (730 hours), billed hourly"),
    "IMAGE_KEEP_DAYS": ("30", "days a spoke keeps an OS image no disk is built on before it removes it"),
    "IMAGE_FETCH_CONCURRENCY": ("2", "OS images a spoke fetches at once; more wait their turn"),
    "IMAGE_FETCH_STALL_TIMEOUT": ("60", "seconds an image server may send nothing before the fetch is cut and tried again"),
    "IMAGE_FETCH_ATTEMPTS": ("3", "tries of one image fetch (each resumes where the last stopped) before it fails"),
    "IMAGE_CLEANUP_INTERVAL": ("3600", "seconds between a spoke's checks for OS images no disk uses"),
    "MIGRATION_URI": ("", "where other hosts' libvirtd reach this host's for a live move, e.g. qemu+tls://spoke2.example/system "
                          "(docs/moves.md); unset: nothing moves here live"),
    "MIGRATION_TLS": ("true", "send a live move's memory and disk through TLS (QEMU's certificates, docs/moves.md)"),
    "MIGRATION_BANDWIDTH_MIB": ("0", "the most MiB/s a live move from this host may use; 0: as much as it can"),
    "COLD_MOVE_TIMEOUT": ("600", "seconds a cold move waits for its capsul to shut down and its disk to be copied"),
    "FIREWALL_DEFAULT": ("allow-all", "a capsul's inbound firewall until its owner chooses rules: allow-all, or "
                                      "ssh-only (TCP 22); established traffic is always let back in (docs/firewall.md)"),
    "FIREWALL_RESYNC_INTERVAL": ("60", "seconds between the hub's pushes of every host's firewall (a spoke applies "
                                       "only what changed)"),
    "FIREWALL": ("auto", "how a spoke enforces capsuls' firewalls and anti-spoofing: nftables, off, or auto "
                         "(nftables unless LIBVIRT_URI is a test:// one)"),
    "FIREWALL_NETNS": ("", "the network namespace (ip netns) holding libvirt's bridges, when it is not the spoke's own"),
    "FIREWALL_TABLE": ("capsul", "the name of the spoke's own nftables tables (inet and bridge families)"),
    "RDNS_PDNS_URL": ("", "PowerDNS's HTTP API, such as http://ns1.example:8081 (docs/reverse-dns.md); unset: no reverse DNS"),
    "RDNS_PDNS_API_KEY": ("", "its api-key"),
    "RDNS_PDNS_SERVER": ("localhost", "its server id (PowerDNS calls itself localhost)"),
    "RDNS_DEFAULT_DOMAIN": ("", "the domain of an address's default PTR name: 203-0-113-5.DOMAIN; required with RDNS_PDNS_URL"),
    "RDNS_RESOLVERS": ("", "the DNS servers (comma-separated addresses) that check a name resolves to its address; "
                           "unset: the hub's own (/etc/resolv.conf)"),
    "RDNS_TTL": ("3600", "the TTL of the PTR records pushed"),
    "RDNS_SYNC_INTERVAL": ("10", "seconds between rounds of PTR pushes (one is also made at once after a change)"),
    "RDNS_RETRY_MAX": ("300", "the longest wait, in seconds, before a failed push is tried again"),
    "FIREWALL_CHECK_INTERVAL": ("30", "seconds between a spoke's checks that its nftables tables are as it wrote "
                                      "them (rewritten if not)"),
}


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines (optional `export`, quotes, # comments)."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(path), f"cannot read: {e}") from None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ConfigError(f"{path}:{number}", "expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def load_config(role: Role, environ: dict[str, str] | None = None, env_file: Path | None = None) -> Config:
    """Build and validate the config for `role` from `environ` (default os.environ) and `.env`:
    each variable through its parser (FIELDS), then the rules between variables."""
    environ = dict(os.environ if environ is None else environ)
    if env_file is None:
        env_file = Path(environ.get("CAPSUL_ENV_FILE") or VARIABLES["CAPSUL_ENV_FILE"][0])
        if not env_file.is_absolute():
            env_file = REPO_ROOT / env_file
    env = read_env_file(env_file)
    env.update(environ)

    def raw(name: str) -> str:
        value = env.get(name, "").strip()
        return value if value else VARIABLES[name][0]

    values = {field: parse(variable, raw(variable)) for field, (variable, parse) in FIELDS.items()}
    _check_together(values, role)
    return Config(role=role, **values)


# --- one parser per kind of value: (variable name, raw text) -> value, or ConfigError ----------

def _text(name: str, value: str) -> str | None:
    return value or None


def _repo_path(name: str, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def _existing_file(name: str, value: str) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(name, f"no such file: {path}")
    return path


def _boolean(name: str, value: str) -> bool:
    value = value.lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(name, "use true or false")
    return value in ("true", "1", "yes")


def _number_from(minimum: float):
    return lambda name, value: _number(name, value, minimum=minimum)


def _count(minimum: int, maximum: int | None = None):
    def parse(name: str, value: str) -> int:
        number = int(_number(name, value, minimum=minimum, integer=True))
        if maximum is not None and number > maximum:
            raise ConfigError(name, f"not a port: {number}" if maximum == 65535 else f"at most {maximum}")
        return number
    return parse


def _choice(options: tuple[str, ...], problem: str, *, upper: bool = False):
    def parse(name: str, value: str) -> str:
        value = value.upper() if upper else value
        if value not in options:
            raise ConfigError(name, problem)
        return value
    return parse


def _database_url(name: str, value: str) -> str | None:
    if value and not (value.startswith(("postgres://", "postgresql://")) or "=" in value):
        raise ConfigError(name, "expected a postgresql:// URL or a libpq DSN (key=value ...)")
    return value or None


def _pg_bin_dir(name: str, value: str) -> Path | None:
    path = Path(value).expanduser().resolve() if value else None
    if path and not (path / "pg_ctl").exists():
        raise ConfigError(name, f"no pg_ctl in {path}")
    return path


def _libvirt_uri(name: str, value: str) -> str:
    if "://" not in value and value.split(":")[0] not in ("qemu", "test"):
        raise ConfigError(name, f"not a libvirt URI: {value!r} (e.g. qemu:///system)")
    return value


def _optional_https_url(name: str, value: str) -> str | None:
    return parse_https_url(name, value) if value else None


def _host_id(name: str, value: str) -> str:
    if not HOST_ID_RE.match(value):
        raise ConfigError(name, "use 1-63 of a-z 0-9 _ . - starting with a letter or digit")
    return value


def _token(name: str, value: str) -> str | None:
    if value and not TOKEN_RE.match(value):
        raise ConfigError(name, "expected 64 lowercase hex characters, as printed by `run.py add-host`")
    return value or None


def _metrics_token(name: str, value: str) -> str | None:
    if value and (len(value) < 16 or not value.isprintable() or " " in value):
        raise ConfigError(name, "use at least 16 printable characters without spaces, e.g. `openssl rand -hex 32`")
    return value or None


def _names(name: str, value: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in value.split(",") if n.strip())


def _optional_base_url(name: str, value: str) -> str | None:
    return _parse_base_url(value) if value else None


def _fernet_key(name: str, value: str) -> str | None:
    if value:
        try:
            Fernet(value)
        except ValueError:
            raise ConfigError(name, "expected a Fernet key: 32 bytes in url-safe base64 (44 characters)") from None
    return value or None


def _emails(name: str, value: str) -> frozenset[str]:
    emails = frozenset(e.strip().lower() for e in value.split(",") if e.strip())
    for email in emails:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
            raise ConfigError(name, f"not an email address: {email!r}")
    return emails


def _sender(name: str, value: str) -> str:
    if "@" not in value or "\n" in value or "\r" in value:
        raise ConfigError(name, f"not an email address: {value!r}")
    return value


def _optional_email(name: str, value: str) -> str | None:
    return _sender(name, value) if value else None


def _http_url(name: str, value: str) -> str | None:
    if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
        raise ConfigError(name, f"expected an http(s):// URL, got {value!r}")
    return value.rstrip("/") or None


def _number(name: str, value: str, *, minimum: float, integer: bool = False) -> float:
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        kind = "a whole number" if integer else "a number of seconds"
        raise ConfigError(name, f"expected {kind}, got {value!r}") from None
    if not number >= minimum:  # also refuses NaN
        raise ConfigError(name, f"must be at least {minimum:g}, got {value!r}")
    if number == float("inf"):
        raise ConfigError(name, "must be finite")
    return number


def _listen(name: str, value: str) -> Listen:
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ConfigError(name, f"expected host:port, e.g. 127.0.0.1:5000, got {value!r}")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not re.fullmatch(r"[A-Za-z0-9.-]+", host):
            raise ConfigError(name, f"not an address or host name: {host!r}") from None
    return Listen(host, int(port))


def _networks(name: str, value: str) -> tuple:
    networks = []
    for item in (i.strip() for i in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(name, f"not an address or network (such as 10.0.0.0/8): {item!r}") from None
    return tuple(networks)


def _parse_base_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError("BASE_URL", f"not a URL: {value!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError("BASE_URL", f"expected an http(s):// URL such as https://capsul.example, got {value!r}")
    if parts.path not in ("", "/"):
        raise ConfigError("BASE_URL", "capsul is served at the root of its host: give only scheme, host and port")
    return f"{parts.scheme}://{parts.netloc}"


def parse_https_url(name: str, value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(name, f"not a URL: {value!r}") from None
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(name, f"expected an https:// URL, got {value!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(name, "give only scheme, host and port, e.g. https://hub.example:5443")
    return f"https://{parts.netloc}"


BACKUP_STORE_RE = re.compile(r"sftp:(?P<user>[a-z_][a-z0-9_.-]{0,31})@(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])"
                             r"(?::(?P<port>\d{1,5}))?:(?P<path>/[^\s'\"]*)")


MIGRATION_URI_RE = re.compile(r"qemu\+(tls|tcp|ssh)://[A-Za-z0-9.:\[\]_-]+(:\d{1,5})?/system(\?[A-Za-z0-9=&/._-]*)?")


def _migration_uri(name: str, value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if not MIGRATION_URI_RE.fullmatch(value):
        raise ConfigError(name, f"expected a libvirt URI such as qemu+tls://spoke2.example/system, got {value!r}")
    return value


def _domain(name: str, value: str) -> str | None:
    value = value.strip().rstrip(".").lower()
    if value and not re.fullmatch(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]", value):
        raise ConfigError(name, f"expected a domain name such as capsul.example, got {value!r}")
    return value or None


def _addresses(name: str, value: str) -> list[str]:
    found = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        try:
            found.append(str(ipaddress.ip_address(part)))
        except ValueError:
            raise ConfigError(name, f"expected IP addresses separated by commas, got {part!r}") from None
    return found


def _netns_name(name: str, value: str) -> str | None:
    if value and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", value):
        raise ConfigError(name, "expected the name of a network namespace (ip netns list)")
    return value or None


def _nft_name(name: str, value: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", value):
        raise ConfigError(name, "expected a name of letters, digits and _ (at most 32), starting with a letter")
    return value


def _backup_store(name: str, value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if BACKUP_STORE_RE.fullmatch(value) or (value.startswith("/") and not re.search(r"[\s'\"]", value)):
        return value
    raise ConfigError(name, f"expected sftp:USER@HOST:/PATH (or sftp:USER@HOST:PORT:/PATH) or an absolute path, "
                            f"got {value!r}")


# Config field -> (its variable, its parser). The rules between variables are _check_together's.
FIELDS = {
    "var_dir": ("CAPSUL_VAR_DIR", _repo_path),
    "database_url": ("DATABASE_URL", _database_url),
    "pg_bin_dir": ("PG_BIN_DIR", _pg_bin_dir),
    "auto_migrate": ("AUTO_MIGRATE", _boolean),
    "libvirt_uri": ("LIBVIRT_URI", _libvirt_uri),
    "console_listen": ("CONSOLE_LISTEN", _listen),
    "api_listen": ("API_LISTEN", _listen),
    "hub_url": ("HUB_URL", _optional_https_url),
    "spoke_host_id": ("SPOKE_HOST_ID", _host_id),
    "spoke_host_token": ("SPOKE_HOST_TOKEN", _token),
    "hub_token": ("HUB_TOKEN", _token),
    "tls_cert_file": ("TLS_CERT_FILE", _existing_file),
    "tls_key_file": ("TLS_KEY_FILE", _existing_file),
    "tls_ca_file": ("TLS_CA_FILE", _existing_file),
    "tls_hostnames": ("TLS_HOSTNAMES", _names),
    "heartbeat_interval": ("HEARTBEAT_INTERVAL", _number_from(0.05)),
    "heartbeat_timeout": ("HEARTBEAT_TIMEOUT", _number_from(0.05)),
    "heartbeat_misses": ("HEARTBEAT_MISSES", _count(1)),
    "token_grace_period": ("TOKEN_GRACE_PERIOD", _number_from(0)),
    "operation_timeout": ("OPERATION_TIMEOUT", _number_from(0.05)),
    "operation_retries": ("OPERATION_RETRIES", _count(0)),
    "create_offer_timeout": ("CREATE_OFFER_TIMEOUT", _number_from(0.05)),
    "create_offer_parallelism": ("CREATE_OFFER_PARALLELISM", _count(1)),
    "claim_retry_window": ("CLAIM_RETRY_WINDOW", _number_from(0)),
    "overcommit_cpu_ratio": ("OVERCOMMIT_CPU_RATIO", _number_from(0.1)),
    "overcommit_memory_ratio": ("OVERCOMMIT_MEMORY_RATIO", _number_from(0.1)),
    "resync_interval": ("RESYNC_INTERVAL", _number_from(1)),
    "stopped_debounce": ("STOPPED_DEBOUNCE", _number_from(0)),
    "os_images_dir": ("OS_IMAGES_DIR", _repo_path),
    "vm_storage_dir": ("VM_STORAGE_DIR", _repo_path),
    "libvirt_domain_type": ("LIBVIRT_DOMAIN_TYPE", _choice(("kvm", "qemu"), "use kvm, or qemu for software emulation")),
    "shutdown_timeout": ("SHUTDOWN_TIMEOUT", _number_from(0)),
    "shutdown_force": ("SHUTDOWN_FORCE", _boolean),
    "drain_seconds": ("DRAIN_SECONDS", _number_from(0)),
    "log_level": ("LOG_LEVEL", _choice(("DEBUG", "INFO", "WARNING", "ERROR"), "use DEBUG, INFO, WARNING or ERROR",
                                       upper=True)),
    "base_url": ("BASE_URL", _optional_base_url),
    "trusted_proxies": ("TRUSTED_PROXIES", _networks),
    "connections_per_address": ("CONNECTIONS_PER_ADDRESS", _count(1)),
    "request_head_timeout": ("REQUEST_HEAD_TIMEOUT", _number_from(0.1)),
    "request_body_timeout": ("REQUEST_BODY_TIMEOUT", _number_from(0.1)),
    "secret_key": ("SECRET_KEY", _fernet_key),
    "admin_emails": ("ADMIN_EMAIL_ADDRESSES", _emails),
    "console_idle_timeout": ("CONSOLE_IDLE_TIMEOUT", _number_from(0)),
    "metrics_interval": ("METRICS_INTERVAL", _number_from(1)),
    "metrics_token": ("METRICS_TOKEN", _metrics_token),
    "live_connections_per_account": ("LIVE_CONNECTIONS_PER_ACCOUNT", _count(1)),
    "live_connections_per_token": ("LIVE_CONNECTIONS_PER_TOKEN", _count(1)),
    "consoles_per_account": ("CONSOLES_PER_ACCOUNT", _count(1)),
    "consoles_per_token": ("CONSOLES_PER_TOKEN", _count(1)),
    "mail_server": ("MAIL_SERVER", _text),
    "mail_port": ("MAIL_PORT", _count(1, 65535)),
    "mail_username": ("MAIL_USERNAME", _text),
    "mail_password": ("MAIL_PASSWORD", _text),
    "mail_use_tls": ("MAIL_USE_TLS", _boolean),
    "mail_default_sender": ("MAIL_DEFAULT_SENDER", _sender),
    "support_email": ("SUPPORT_EMAIL", _optional_email),
    "billing_enabled": ("BILLING_ENABLED", _boolean),
    "metering_interval": ("METERING_INTERVAL", _number_from(1)),
    "min_balance_days": ("MIN_BALANCE_DAYS", _number_from(0)),
    "account_max_capsuls": ("ACCOUNT_MAX_CAPSULS", _count(0)),
    "account_max_vcpus": ("ACCOUNT_MAX_VCPUS", _count(0)),
    "account_max_memory_mb": ("ACCOUNT_MAX_MEMORY_MB", _count(0)),
    "zero_balance_grace_days": ("ZERO_BALANCE_GRACE_DAYS", _number_from(0)),
    "stripe_secret_key": ("STRIPE_SECRET_KEY", _text),
    "stripe_webhook_secret": ("STRIPE_WEBHOOK_SECRET", _text),
    "stripe_api_url": ("STRIPE_API_URL", _http_url),
    "btcpay_url": ("BTCPAY_URL", _http_url),
    "btcpay_api_key": ("BTCPAY_API_KEY", _text),
    "btcpay_store_id": ("BTCPAY_STORE_ID", _text),
    "btcpay_webhook_secret": ("BTCPAY_WEBHOOK_SECRET", _text),
    "backup_store": ("BACKUP_STORE", _backup_store),
    "backup_password_file": ("BACKUP_PASSWORD_FILE", _existing_file),
    "backup_ssh_key": ("BACKUP_SSH_KEY", _existing_file),
    "backup_ssh_known_hosts": ("BACKUP_SSH_KNOWN_HOSTS", _existing_file),
    "backup_concurrency": ("BACKUP_CONCURRENCY", _count(1, 64)),
    "backup_spool_dir": ("BACKUP_SPOOL_DIR", _repo_path),
    "backup_store_max_backoff": ("BACKUP_STORE_MAX_BACKOFF", _number_from(0.1)),
    "backups_per_capsul": ("BACKUPS_PER_CAPSUL", _count(1, 1000)),
    "backup_price_per_gb_month": ("BACKUP_PRICE_PER_GB_MONTH", _number_from(0)),
    "image_keep_days": ("IMAGE_KEEP_DAYS", _number_from(0)),
    "image_fetch_concurrency": ("IMAGE_FETCH_CONCURRENCY", _count(1, 64)),
    "image_fetch_stall_timeout": ("IMAGE_FETCH_STALL_TIMEOUT", _number_from(0.1)),
    "image_fetch_attempts": ("IMAGE_FETCH_ATTEMPTS", _count(1, 100)),
    "image_cleanup_interval": ("IMAGE_CLEANUP_INTERVAL", _number_from(0.1)),
    "migration_uri": ("MIGRATION_URI", _migration_uri),
    "migration_tls": ("MIGRATION_TLS", _boolean),
    "migration_bandwidth_mib": ("MIGRATION_BANDWIDTH_MIB", _count(0, 1_000_000)),
    "cold_move_timeout": ("COLD_MOVE_TIMEOUT", _number_from(1)),
    "firewall_default": ("FIREWALL_DEFAULT", _choice(("allow-all", "ssh-only"), "use allow-all or ssh-only")),
    "firewall_resync_interval": ("FIREWALL_RESYNC_INTERVAL", _number_from(0.1)),
    "firewall": ("FIREWALL", _choice(("auto", "nftables", "off"), "use auto, nftables or off")),
    "firewall_netns": ("FIREWALL_NETNS", _netns_name),
    "firewall_table": ("FIREWALL_TABLE", _nft_name),
    "firewall_check_interval": ("FIREWALL_CHECK_INTERVAL", _number_from(0.1)),
    "rdns_pdns_url": ("RDNS_PDNS_URL", _http_url),
    "rdns_pdns_api_key": ("RDNS_PDNS_API_KEY", _text),
    "rdns_pdns_server": ("RDNS_PDNS_SERVER", _text),
    "rdns_default_domain": ("RDNS_DEFAULT_DOMAIN", _domain),
    "rdns_resolvers": ("RDNS_RESOLVERS", _addresses),
    "rdns_ttl": ("RDNS_TTL", _count(60, 604800)),
    "rdns_sync_interval": ("RDNS_SYNC_INTERVAL", _number_from(0.1)),
    "rdns_retry_max": ("RDNS_RETRY_MAX", _number_from(0.1)),
}


def _check_together(values: dict, role: Role) -> None:
    """The rules between variables."""
    if (values["tls_cert_file"] is None) != (values["tls_key_file"] is None):
        raise ConfigError("TLS_KEY_FILE" if values["tls_key_file"] is None else "TLS_CERT_FILE",
                          "TLS_CERT_FILE and TLS_KEY_FILE must be set together")
    if values["heartbeat_timeout"] > values["heartbeat_interval"]:
        raise ConfigError("HEARTBEAT_TIMEOUT",
                          f"must not exceed HEARTBEAT_INTERVAL ({values['heartbeat_interval']:g} s)")
    if (values["stripe_secret_key"] is None) != (values["stripe_webhook_secret"] is None):
        raise ConfigError("STRIPE_WEBHOOK_SECRET" if values["stripe_secret_key"] else "STRIPE_SECRET_KEY",
                          "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set together")
    btcpay = {"BTCPAY_URL": values["btcpay_url"], "BTCPAY_API_KEY": values["btcpay_api_key"],
              "BTCPAY_STORE_ID": values["btcpay_store_id"], "BTCPAY_WEBHOOK_SECRET": values["btcpay_webhook_secret"]}
    if any(btcpay.values()) and not all(btcpay.values()):
        missing = next(n for n, v in btcpay.items() if not v)
        raise ConfigError(missing, "BTCPAY_URL, BTCPAY_API_KEY, BTCPAY_STORE_ID and BTCPAY_WEBHOOK_SECRET "
                                   "are set together")
    if values["rdns_pdns_url"] and not (values["rdns_pdns_api_key"] and values["rdns_default_domain"]):
        raise ConfigError("RDNS_PDNS_API_KEY" if not values["rdns_pdns_api_key"] else "RDNS_DEFAULT_DOMAIN",
                          "required with RDNS_PDNS_URL")
    if values["backup_store"] and values["backup_password_file"] is None:
        raise ConfigError("BACKUP_PASSWORD_FILE", "required with BACKUP_STORE: the key the backups are encrypted with")
    if (values["backup_store"] or "").startswith("sftp:") and values["backup_ssh_known_hosts"] is None:
        raise ConfigError("BACKUP_SSH_KNOWN_HOSTS", "required with an sftp: BACKUP_STORE, so that no other host "
                                                    "receives the backups")
    if role is Role.SPOKE:
        # A spoke on its own must be told where its hub is and how to sign.
        for name, field in (("HUB_URL", "hub_url"), ("SPOKE_HOST_TOKEN", "spoke_host_token"),
                            ("HUB_TOKEN", "hub_token")):
            if values[field] is None:
                raise ConfigError(name, "required for `run.py --spoke` (see `run.py add-host`)")
        if values["spoke_host_token"] == values["hub_token"]:
            raise ConfigError("HUB_TOKEN", "must differ from SPOKE_HOST_TOKEN")
