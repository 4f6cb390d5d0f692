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
    log_level: str
    base_url: str | None  # None: the console listener's own http:// URL
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]  # may set X-Forwarded-For
    secret_key: str | None  # None: one generated key kept in the database, shared by every hub
    admin_emails: frozenset[str]
    mail_server: str | None  # None: login links are written to the log instead of mailed
    mail_port: int
    mail_username: str | None
    mail_password: str | None
    mail_use_tls: bool
    mail_default_sender: str
    billing_enabled: bool
    metering_interval: float
    min_balance_days: float
    zero_balance_grace_days: float
    stripe_secret_key: str | None
    stripe_webhook_secret: str | None
    stripe_api_url: str
    btcpay_url: str | None
    btcpay_api_key: str | None
    btcpay_store_id: str | None
    btcpay_webhook_secret: str | None

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


# Every variable capsul reads, with its default ("" = unset) and a line for the README.
VARIABLES: dict[str, tuple[str, str]] = {
    "CAPSUL_ENV_FILE": (".env", "file of KEY=VALUE lines read at start; the environment wins over it"),
    "CAPSUL_VAR_DIR": ("var", "state folder: embedded PostgreSQL, self-signed TLS (relative to the repository)"),
    "DATABASE_URL": ("", "PostgreSQL to use (libpq URL or DSN); unset: a private cluster under CAPSUL_VAR_DIR"),
    "PG_BIN_DIR": ("", "folder of initdb/pg_ctl for the embedded cluster; unset: newest /usr/lib/postgresql/*/bin"),
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
    "LOG_LEVEL": ("INFO", "DEBUG, INFO, WARNING or ERROR"),
    "BASE_URL": ("", "the console's public URL, used in login links and for the websocket Origin check, "
                     "e.g. https://capsul.example; unset: the console listener's http:// URL. "
                     "Session cookies are Secure when it is https"),
    "TRUSTED_PROXIES": ("", "comma-separated addresses or networks (CIDR) of the load balancers or reverse "
                            "proxies in front of the console; the client's address is then read from the "
                            "X-Forwarded-For they set (for per-client rate limits). Unset: the peer's address"),
    "SECRET_KEY": ("", "Fernet key (44 characters, `python -c 'from cryptography.fernet import Fernet; "
                       "print(Fernet.generate_key().decode())'`) encrypting session cookies; unset: one is "
                       "generated and kept in the database, so every hub shares it"),
    "ADMIN_EMAIL_ADDRESSES": ("", "comma-separated emails of the people who see the admin view"),
    "MAIL_SERVER": ("", "SMTP server for login mails; unset: each login link is written to the log"),
    "MAIL_PORT": ("587", "SMTP port"),
    "MAIL_USERNAME": ("", "SMTP user name, if the server wants one"),
    "MAIL_PASSWORD": ("", "SMTP password"),
    "MAIL_USE_TLS": ("true", "STARTTLS before sending (as Flask-Mail's MAIL_USE_TLS); false for a local relay"),
    "MAIL_DEFAULT_SENDER": ("capsul@localhost", "the From address of login mails"),
    "BILLING_ENABLED": ("true", "prepaid billing: hourly charges, a balance needed to create, low-balance mails, "
                                "shutdown and deletion when it runs out; false for a free deployment"),
    "METERING_INTERVAL": ("3600", "seconds between metering runs (each charges every hour not charged yet)"),
    "MIN_BALANCE_DAYS": ("1", "days of the chosen size's price a balance must cover to create a capsul"),
    "ZERO_BALANCE_GRACE_DAYS": ("7", "days after the balance reached zero (capsuls shut down) before they are deleted"),
    "STRIPE_SECRET_KEY": ("", "Stripe secret key: card payments through Stripe Checkout (off unless set)"),
    "STRIPE_WEBHOOK_SECRET": ("", "the signing secret of the Stripe webhook endpoint BASE_URL/webhooks/stripe"),
    "STRIPE_API_URL": ("https://api.stripe.com", "Stripe's API (tests point it at a local stand-in)"),
    "BTCPAY_URL": ("", "BTCPay Server URL: crypto payments through its Greenfield API (off unless set)"),
    "BTCPAY_API_KEY": ("", "BTCPay Greenfield API key (invoice create and view permissions)"),
    "BTCPAY_STORE_ID": ("", "the BTCPay store to make invoices in"),
    "BTCPAY_WEBHOOK_SECRET": ("", "the secret of the BTCPay webhook pointing at BASE_URL/webhooks/btcpay"),
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
    """Build and validate the config for `role` from `environ` (default os.environ) and `.env`."""
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

    def optional_path(name: str) -> Path | None:
        value = raw(name)
        return Path(value).expanduser().resolve() if value else None

    var_dir = Path(raw("CAPSUL_VAR_DIR")).expanduser()
    if not var_dir.is_absolute():
        var_dir = REPO_ROOT / var_dir

    database_url = raw("DATABASE_URL") or None
    if database_url and not (database_url.startswith(("postgres://", "postgresql://")) or "=" in database_url):
        raise ConfigError("DATABASE_URL", "expected a postgresql:// URL or a libpq DSN (key=value ...)")

    pg_bin_dir = optional_path("PG_BIN_DIR")
    if pg_bin_dir and not (pg_bin_dir / "pg_ctl").exists():
        raise ConfigError("PG_BIN_DIR", f"no pg_ctl in {pg_bin_dir}")

    libvirt_uri = raw("LIBVIRT_URI")
    if "://" not in libvirt_uri and libvirt_uri.split(":")[0] not in ("qemu", "test"):
        raise ConfigError("LIBVIRT_URI", f"not a libvirt URI: {libvirt_uri!r} (e.g. qemu:///system)")

    hub_url = raw("HUB_URL") or None
    if hub_url is not None:
        hub_url = parse_https_url("HUB_URL", hub_url)

    spoke_host_id = raw("SPOKE_HOST_ID")
    if not HOST_ID_RE.match(spoke_host_id):
        raise ConfigError("SPOKE_HOST_ID", "use 1-63 of a-z 0-9 _ . - starting with a letter or digit")

    tokens = {}
    for name in ("SPOKE_HOST_TOKEN", "HUB_TOKEN"):
        value = raw(name) or None
        if value is not None and not TOKEN_RE.match(value):
            raise ConfigError(name, "expected 64 lowercase hex characters, as printed by `run.py add-host`")
        tokens[name] = value

    tls_cert, tls_key = optional_path("TLS_CERT_FILE"), optional_path("TLS_KEY_FILE")
    tls_ca = optional_path("TLS_CA_FILE")
    for name, path in (("TLS_CERT_FILE", tls_cert), ("TLS_KEY_FILE", tls_key), ("TLS_CA_FILE", tls_ca)):
        if path is not None and not path.is_file():
            raise ConfigError(name, f"no such file: {path}")
    if (tls_cert is None) != (tls_key is None):
        raise ConfigError("TLS_KEY_FILE" if tls_key is None else "TLS_CERT_FILE",
                          "TLS_CERT_FILE and TLS_KEY_FILE must be set together")

    interval = _number("HEARTBEAT_INTERVAL", raw("HEARTBEAT_INTERVAL"), minimum=0.05)
    timeout = _number("HEARTBEAT_TIMEOUT", raw("HEARTBEAT_TIMEOUT"), minimum=0.05)
    if timeout > interval:
        raise ConfigError("HEARTBEAT_TIMEOUT", f"must not exceed HEARTBEAT_INTERVAL ({interval:g} s)")
    misses = _number("HEARTBEAT_MISSES", raw("HEARTBEAT_MISSES"), minimum=1, integer=True)

    def folder(name: str) -> Path:
        path = Path(raw(name)).expanduser()
        return path if path.is_absolute() else REPO_ROOT / path

    domain_type = raw("LIBVIRT_DOMAIN_TYPE")
    if domain_type not in ("kvm", "qemu"):
        raise ConfigError("LIBVIRT_DOMAIN_TYPE", "use kvm, or qemu for software emulation")
    shutdown_force = raw("SHUTDOWN_FORCE").lower()
    if shutdown_force not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError("SHUTDOWN_FORCE", "use true or false")

    log_level = raw("LOG_LEVEL").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL", "use DEBUG, INFO, WARNING or ERROR")

    base_url = raw("BASE_URL") or None
    if base_url is not None:
        base_url = _parse_base_url(base_url)
    trusted_proxies = _networks("TRUSTED_PROXIES", raw("TRUSTED_PROXIES"))
    secret_key = raw("SECRET_KEY") or None
    if secret_key is not None:
        try:
            Fernet(secret_key)
        except ValueError:
            raise ConfigError("SECRET_KEY", "expected a Fernet key: 32 bytes in url-safe base64 (44 characters)") \
                from None
    admin_emails = frozenset(e.strip().lower() for e in raw("ADMIN_EMAIL_ADDRESSES").split(",") if e.strip())
    for email in admin_emails:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
            raise ConfigError("ADMIN_EMAIL_ADDRESSES", f"not an email address: {email!r}")
    mail_use_tls = raw("MAIL_USE_TLS").lower()
    if mail_use_tls not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError("MAIL_USE_TLS", "use true or false")
    mail_port = int(_number("MAIL_PORT", raw("MAIL_PORT"), minimum=1, integer=True))
    if mail_port > 65535:
        raise ConfigError("MAIL_PORT", f"not a port: {mail_port}")
    billing = raw("BILLING_ENABLED").lower()
    if billing not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError("BILLING_ENABLED", "use true or false")
    stripe = {n: raw(n) or None for n in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")}
    if (stripe["STRIPE_SECRET_KEY"] is None) != (stripe["STRIPE_WEBHOOK_SECRET"] is None):
        raise ConfigError("STRIPE_WEBHOOK_SECRET" if stripe["STRIPE_SECRET_KEY"] else "STRIPE_SECRET_KEY",
                          "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set together")
    btcpay = {n: raw(n) or None for n in ("BTCPAY_URL", "BTCPAY_API_KEY", "BTCPAY_STORE_ID", "BTCPAY_WEBHOOK_SECRET")}
    if any(btcpay.values()) and not all(btcpay.values()):
        missing = next(n for n, v in btcpay.items() if not v)
        raise ConfigError(missing, "BTCPAY_URL, BTCPAY_API_KEY, BTCPAY_STORE_ID and BTCPAY_WEBHOOK_SECRET "
                                   "are set together")
    for name in ("STRIPE_API_URL", "BTCPAY_URL"):
        value = raw(name)
        if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ConfigError(name, f"expected an http(s):// URL, got {value!r}")
    sender = raw("MAIL_DEFAULT_SENDER")
    if "@" not in sender or "\n" in sender or "\r" in sender:
        raise ConfigError("MAIL_DEFAULT_SENDER", f"not an email address: {sender!r}")

    config = Config(
        role=role,
        var_dir=var_dir,
        database_url=database_url,
        pg_bin_dir=pg_bin_dir,
        libvirt_uri=libvirt_uri,
        console_listen=_listen("CONSOLE_LISTEN", raw("CONSOLE_LISTEN")),
        api_listen=_listen("API_LISTEN", raw("API_LISTEN")),
        hub_url=hub_url,
        spoke_host_id=spoke_host_id,
        spoke_host_token=tokens["SPOKE_HOST_TOKEN"],
        hub_token=tokens["HUB_TOKEN"],
        tls_cert_file=tls_cert,
        tls_key_file=tls_key,
        tls_ca_file=tls_ca,
        tls_hostnames=tuple(n.strip() for n in raw("TLS_HOSTNAMES").split(",") if n.strip()),
        heartbeat_interval=interval,
        heartbeat_timeout=timeout,
        heartbeat_misses=int(misses),
        token_grace_period=_number("TOKEN_GRACE_PERIOD", raw("TOKEN_GRACE_PERIOD"), minimum=0),
        operation_timeout=_number("OPERATION_TIMEOUT", raw("OPERATION_TIMEOUT"), minimum=0.05),
        operation_retries=int(_number("OPERATION_RETRIES", raw("OPERATION_RETRIES"), minimum=0, integer=True)),
        create_offer_timeout=_number("CREATE_OFFER_TIMEOUT", raw("CREATE_OFFER_TIMEOUT"), minimum=0.05),
        create_offer_parallelism=int(_number("CREATE_OFFER_PARALLELISM", raw("CREATE_OFFER_PARALLELISM"),
                                             minimum=1, integer=True)),
        claim_retry_window=_number("CLAIM_RETRY_WINDOW", raw("CLAIM_RETRY_WINDOW"), minimum=0),
        overcommit_cpu_ratio=_number("OVERCOMMIT_CPU_RATIO", raw("OVERCOMMIT_CPU_RATIO"), minimum=0.1),
        overcommit_memory_ratio=_number("OVERCOMMIT_MEMORY_RATIO", raw("OVERCOMMIT_MEMORY_RATIO"), minimum=0.1),
        resync_interval=_number("RESYNC_INTERVAL", raw("RESYNC_INTERVAL"), minimum=1),
        stopped_debounce=_number("STOPPED_DEBOUNCE", raw("STOPPED_DEBOUNCE"), minimum=0),
        os_images_dir=folder("OS_IMAGES_DIR"),
        vm_storage_dir=folder("VM_STORAGE_DIR"),
        libvirt_domain_type=domain_type,
        shutdown_timeout=_number("SHUTDOWN_TIMEOUT", raw("SHUTDOWN_TIMEOUT"), minimum=0),
        shutdown_force=shutdown_force in ("true", "1", "yes"),
        log_level=log_level,
        base_url=base_url,
        trusted_proxies=trusted_proxies,
        secret_key=secret_key,
        admin_emails=admin_emails,
        mail_server=raw("MAIL_SERVER") or None,
        mail_port=mail_port,
        mail_username=raw("MAIL_USERNAME") or None,
        mail_password=raw("MAIL_PASSWORD") or None,
        mail_use_tls=mail_use_tls in ("true", "1", "yes"),
        mail_default_sender=sender,
        billing_enabled=billing in ("true", "1", "yes"),
        metering_interval=_number("METERING_INTERVAL", raw("METERING_INTERVAL"), minimum=1),
        min_balance_days=_number("MIN_BALANCE_DAYS", raw("MIN_BALANCE_DAYS"), minimum=0),
        zero_balance_grace_days=_number("ZERO_BALANCE_GRACE_DAYS", raw("ZERO_BALANCE_GRACE_DAYS"), minimum=0),
        stripe_secret_key=stripe["STRIPE_SECRET_KEY"],
        stripe_webhook_secret=stripe["STRIPE_WEBHOOK_SECRET"],
        stripe_api_url=raw("STRIPE_API_URL").rstrip("/"),
        btcpay_url=(btcpay["BTCPAY_URL"] or "").rstrip("/") or None,
        btcpay_api_key=btcpay["BTCPAY_API_KEY"],
        btcpay_store_id=btcpay["BTCPAY_STORE_ID"],
        btcpay_webhook_secret=btcpay["BTCPAY_WEBHOOK_SECRET"],
    )
    if role is Role.SPOKE:
        # A spoke on its own must be told where its hub is and how to sign.
        for name, value in (("HUB_URL", config.hub_url), ("SPOKE_HOST_TOKEN", config.spoke_host_token),
                            ("HUB_TOKEN", config.hub_token)):
            if value is None:
                raise ConfigError(name, "required for `run.py --spoke` (see `run.py add-host`)")
        if config.spoke_host_token == config.hub_token:
            raise ConfigError("HUB_TOKEN", "must differ from SPOKE_HOST_TOKEN")
    return config


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
