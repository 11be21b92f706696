"""``ServingConfig.from_env`` (pydantic-settings): every MATCHER_* variable reaches its field,
blank ones keep the defaults, a bad value is refused naming the variable."""

from __future__ import annotations

import pytest

from matcher.config import ServingConfig, ServingConfigError

# the variable names the service has always read (docs/serving.md): they must not change
ENV = {
    "model": "MATCHER_MODEL",
    "fallback_dir": "MATCHER_MODEL_FALLBACK",
    "request_log": "MATCHER_REQUEST_LOG",
    "log_synchronous": "MATCHER_LOG_SYNC",
    "experiment": "MATCHER_EXPERIMENT",
    "retry_seconds": "MATCHER_LOAD_RETRY_SECONDS",
    "torch_threads": "MATCHER_TORCH_THREADS",
    "threads": "MATCHER_THREADS",
    "brief_cache": "MATCHER_BRIEF_CACHE",
    "auth": "MATCHER_AUTH",
    "keys_db": "MATCHER_KEYS_DB",
    "model_root": "MATCHER_MODEL_ROOT",
    "request_budget_s": "MATCHER_REQUEST_BUDGET_S",
    "rate_limit": "MATCHER_RATE_LIMIT",
    "rate_burst": "MATCHER_RATE_BURST",
    "log_busy_ms": "MATCHER_LOG_BUSY_MS",
    "body_timeout_s": "MATCHER_BODY_TIMEOUT_S",
    "catalogue_poll_s": "MATCHER_CATALOGUE_POLL_S",
}
DEFAULTS = {
    "model": "champion",
    "fallback_dir": "models/champion",
    "request_log": "requests.db",
    "log_synchronous": "FULL",
    "experiment": None,
    "retry_seconds": 30.0,
    "torch_threads": 1,
    "threads": 1,
    "brief_cache": 4096,
    "auth": True,
    "keys_db": None,
    "model_root": "models",
    "request_budget_s": 10.0,
    "rate_limit": 20.0,
    "rate_burst": 40,
    "log_busy_ms": 2000,
    "body_timeout_s": 10.0,
    "catalogue_poll_s": 10.0,
}
VALUES = {  # a non-default value per variable, as text, and the field value it gives
    "MATCHER_MODEL": (" models:/matcher/3 ", "models:/matcher/3"),
    "MATCHER_MODEL_FALLBACK": ("/srv/champion", "/srv/champion"),
    "MATCHER_REQUEST_LOG": ("/var/log/req.db", "/var/log/req.db"),
    "MATCHER_LOG_SYNC": ("NORMAL", "NORMAL"),
    "MATCHER_EXPERIMENT": ("ab.yaml", "ab.yaml"),
    "MATCHER_LOAD_RETRY_SECONDS": ("0", 0.0),
    "MATCHER_TORCH_THREADS": ("0", 0),
    "MATCHER_THREADS": ("2", 2),
    "MATCHER_BRIEF_CACHE": ("12", 12),
    "MATCHER_AUTH": ("off", False),
    "MATCHER_KEYS_DB": ("k.db", "k.db"),
    "MATCHER_MODEL_ROOT": ("/models", "/models"),
    "MATCHER_REQUEST_BUDGET_S": ("2.5", 2.5),
    "MATCHER_RATE_LIMIT": ("0.5", 0.5),
    "MATCHER_RATE_BURST": ("3", 3),
    "MATCHER_LOG_BUSY_MS": ("0", 0),
    "MATCHER_BODY_TIMEOUT_S": ("1", 1.0),
    "MATCHER_CATALOGUE_POLL_S": ("0", 0.0),
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ENV.values():
        monkeypatch.delenv(var, raising=False)


def test_variable_names_and_defaults_are_unchanged() -> None:
    assert ServingConfig.env_names() == ENV
    assert ServingConfig.from_env({}).model_dump() == DEFAULTS
    assert ServingConfig.from_env().model_dump() == DEFAULTS  # os.environ without MATCHER_*


def test_each_variable_sets_its_field() -> None:
    cfg = ServingConfig.from_env({var: text for var, (text, _) in VALUES.items()})
    fields = {v: k for k, v in ENV.items()}
    assert {fields[var]: getattr(cfg, fields[var]) for var in VALUES} == {
        fields[var]: value for var, (_, value) in VALUES.items()
    }


def test_os_environ_is_read(monkeypatch) -> None:
    monkeypatch.setenv("MATCHER_RATE_BURST", " 7 ")
    monkeypatch.setenv("MATCHER_MODEL_FALLBACK", "elsewhere")
    monkeypatch.setenv("MATCHER_EMBEDDING_MODEL", "/m")  # another MATCHER_ variable: not ours
    cfg = ServingConfig.from_env()
    assert (cfg.rate_burst, cfg.fallback_dir, cfg.model) == (7, "elsewhere", "champion")


def test_blank_values_keep_the_default() -> None:
    cfg = ServingConfig.from_env({"MATCHER_RATE_LIMIT": "  ", "MATCHER_MODEL": ""})
    assert (cfg.rate_limit, cfg.model) == (20.0, "champion")


def test_field_names_still_build_it_in_code() -> None:
    assert ServingConfig(model="3", rate_burst=2).rate_burst == 2
    with pytest.raises(ValueError, match="extra"):
        ServingConfig(unknown=1)


@pytest.mark.parametrize(
    ("var", "text", "field", "rule"),
    [
        ("MATCHER_BRIEF_CACHE", "-1", "brief_cache", "greater than or equal to 0"),
        ("MATCHER_LOG_SYNC", "fast", "log_synchronous", "should match pattern"),
        ("MATCHER_RATE_BURST", "many", "rate_burst", "valid integer"),
        ("MATCHER_AUTH", "perhaps", "auth", "valid boolean"),
        ("MATCHER_BODY_TIMEOUT_S", "0", "body_timeout_s", "greater than 0"),
    ],
)
def test_a_bad_value_names_the_variable(var, text, field, rule) -> None:
    with pytest.raises(ServingConfigError) as e:
        ServingConfig.from_env({var: text})
    assert str(e.value).startswith(f"invalid service configuration: ${var}={text!r} ({field}): ")
    assert rule in str(e.value)
    assert isinstance(e.value, ValueError)


def test_every_bad_value_is_listed() -> None:
    with pytest.raises(ServingConfigError) as e:
        ServingConfig.from_env({"MATCHER_RATE_BURST": "0", "MATCHER_LOG_BUSY_MS": "-5"})
    assert "$MATCHER_RATE_BURST='0'" in str(e.value) and "$MATCHER_LOG_BUSY_MS='-5'" in str(e.value)
