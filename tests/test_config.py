"""The typed config: defaults, every validation naming its variable, .env, and run.py's exit 2."""
import subprocess
from pathlib import Path

import pytest

from capsul.config import REPO_ROOT, ConfigError, Listen, Role, load_config
from tests.conftest import PYTHON, child_env

NO_ENV_FILE = Path("/nonexistent/.env")


def test_defaults_are_the_embedded_setup():
    config = load_config(Role.BOTH, environ={}, env_file=NO_ENV_FILE)
    assert config.role is Role.BOTH and config.role.hub and config.role.spoke
    assert config.database_url is None  # embedded PostgreSQL
    assert config.var_dir == REPO_ROOT / "var"
    assert config.libvirt_uri == "test:///default"
    assert config.console_listen == Listen("127.0.0.1", 5000)
    assert config.api_listen == Listen("127.0.0.1", 5443)
    assert (config.heartbeat_interval, config.heartbeat_misses) == (5.0, 3)
    assert config.tls_cert_file is None and config.spoke_host_id == "local"


@pytest.mark.parametrize("variable, value", [
    ("HEARTBEAT_INTERVAL", "abc"),
    ("HEARTBEAT_INTERVAL", "-1"),
    ("HEARTBEAT_INTERVAL", "nan"),
    ("HEARTBEAT_TIMEOUT", "9"),  # longer than the 5 s interval
    ("HEARTBEAT_MISSES", "2.5"),
    ("HEARTBEAT_MISSES", "0"),
    ("TOKEN_GRACE_PERIOD", "soon"),
    ("CONSOLE_LISTEN", "5000"),
    ("API_LISTEN", "127.0.0.1:99999"),
    ("API_LISTEN", "bad host:5443"),
    ("HUB_URL", "http://hub.example:5443"),
    ("HUB_URL", "https://hub.example:5443/some/path"),
    ("HUB_URL", "https://hub.example:port"),
    ("SPOKE_HOST_ID", "Not An Id"),
    ("SPOKE_HOST_TOKEN", "too-short"),
    ("HUB_TOKEN", "A" * 64),
    ("TLS_CERT_FILE", "/nonexistent/cert.pem"),
    ("TLS_CA_FILE", "/nonexistent/ca.pem"),
    ("LOG_LEVEL", "LOUD"),
    ("DATABASE_URL", "mysql:localhost"),
    ("LIBVIRT_URI", "nonsense"),
    ("PG_BIN_DIR", "/nonexistent"),
    ("TRUSTED_PROXIES", "10.0.0.0/8, load-balancer"),
    ("TRUSTED_PROXIES", "10.0.0.300"),
])
def test_a_bad_value_names_its_variable(variable, value):
    with pytest.raises(ConfigError) as caught:
        load_config(Role.BOTH, environ={variable: value}, env_file=NO_ENV_FILE)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")


def test_cert_without_key_is_refused(tls_files):
    with pytest.raises(ConfigError) as caught:
        load_config(Role.BOTH, environ={"TLS_CERT_FILE": str(tls_files.cert)}, env_file=NO_ENV_FILE)
    assert caught.value.variable == "TLS_KEY_FILE"


@pytest.mark.parametrize("missing", ["HUB_URL", "SPOKE_HOST_TOKEN", "HUB_TOKEN"])
def test_a_lone_spoke_needs_hub_and_tokens(missing):
    env = {"HUB_URL": "https://hub.example:5443", "SPOKE_HOST_ID": "s1",
           "SPOKE_HOST_TOKEN": "a" * 64, "HUB_TOKEN": "b" * 64}
    load_config(Role.SPOKE, environ=env, env_file=NO_ENV_FILE)  # complete: fine
    del env[missing]
    with pytest.raises(ConfigError) as caught:
        load_config(Role.SPOKE, environ=env, env_file=NO_ENV_FILE)
    assert caught.value.variable == missing


def test_env_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text('# comment\nexport HEARTBEAT_INTERVAL=7\nLOG_LEVEL="debug"\n\nHEARTBEAT_MISSES=4\n')
    config = load_config(Role.HUB, environ={"HEARTBEAT_MISSES": "5"}, env_file=env_file)
    assert config.heartbeat_interval == 7.0
    assert config.log_level == "DEBUG"
    assert config.heartbeat_misses == 5


def test_a_malformed_env_file_line_is_named(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=INFO\nthis is not a setting\n")
    with pytest.raises(ConfigError) as caught:
        load_config(Role.HUB, environ={}, env_file=env_file)
    assert caught.value.variable == f"{env_file}:2"


@pytest.mark.parametrize("args, env, variable", [
    ([], {"HEARTBEAT_INTERVAL": "often"}, "HEARTBEAT_INTERVAL"),
    (["--spoke"], {"SPOKE_HOST_ID": "s1"}, "HUB_URL"),
    (["add-host", "--id", "s1", "--url", "http://insecure:1"], {}, "--url"),
])
def test_run_py_prints_one_line_and_exits_2(args, env, variable):
    proc = subprocess.run([PYTHON, "run.py", *args], cwd=REPO_ROOT, env=child_env(env),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], proc.stderr
