"""docker-compose.yml, deploy/Caddyfile and the Dockerfile, checked without a Docker engine: the
compose file is parsed, its variables resolved as Compose does, and its services, ports, environment,
volumes, secrets, health checks and profile checked against the settings, so renaming a setting or a
port breaks this test instead of the deployment. Production defaults are checked too: no demo users
or demo mode, the first admin's password from a compose secret, nothing but the TLS proxy published
beyond loopback. ``compose_problems`` is itself tested on broken copies."""

from __future__ import annotations

import copy
import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import ValidationError

from app.settings import Settings
from app.ui.backend import UiSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
CADDYFILE = "/etc/caddy/Caddyfile"  # where the caddy image reads its configuration
REQUIRED = {"qdrant", "postgres", "engine", "ui", "proxy", "llm"}
SECRETS = {"POSTGRES_PASSWORD": "pw0123", "DOCQA_ENGINE_TOKEN": "token0123"}
ENGINE_PORT = Settings.model_fields["engine_port"].default
UI_PORT = UiSettings.model_fields["ui_port"].default
DEFAULT_LLM_PORT = 11434  # Ollama's


# -- Compose's variable syntax ----------------------------------------------------------------------
class MissingVariable(ValueError):
    pass


_VAR = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """``value`` with ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR
    and $$ resolved like Compose does, recursively."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group("name") or m.group("bare")
        op, arg, got = m.group("op"), m.group("arg") or "", env.get(name)
        unset = got is None or (got == "" and op is not None and op.startswith(":"))
        if op in (":-", "-"):
            return arg if unset else got
        if op in (":?", "?") and unset:
            raise MissingVariable(f"{name}: {arg}")
        return got or ""

    return _VAR.sub(one, value)


def load_compose(path: Path = COMPOSE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())  # safe_load applies the << merge keys


# -- the checks -------------------------------------------------------------------------------------
def _env(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _command(service: Mapping[str, Any]) -> list[str]:
    cmd = service.get("command")
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd or [])


def _published(service: Mapping[str, Any]) -> dict[int, str]:
    """container port -> host binding ("127.0.0.1:8765" or "8501")."""
    out = {}
    for spec in service.get("ports") or []:
        *host, container = str(spec).split(":")
        out[int(container.split("/")[0])] = ":".join(host)
    return out


def _loopback(binding: str) -> bool:
    """Whether a host binding ("127.0.0.1:8765", "8501", "0.0.0.0:80") is on loopback only."""
    return binding.rsplit(":", 1)[0] in ("127.0.0.1", "[::1]", "localhost") if ":" in binding else False


def _mounts(service: Mapping[str, Any]) -> dict[str, str]:
    """container path -> source of a service's volumes."""
    out = {}
    for vol in service.get("volumes") or []:
        source, target, *_ = str(vol).split(":")
        out[target] = source
    return out


def settings_from(env: Mapping[str, str], cls: type[Settings] = Settings) -> Settings:
    """The settings a container with ``env`` builds (its DOCQA_* variables and nothing else)."""
    fields = {k[len("DOCQA_") :].lower(): v for k, v in env.items() if k.startswith("DOCQA_")}
    values = {k: v for k, v in fields.items() if v != ""}  # Compose's empty = unset for us
    return cls.model_validate(values)


def compose_problems(
    doc: Mapping[str, Any], variables: Mapping[str, str] = SECRETS, root: Path = ROOT
) -> list[str]:
    """What is wrong with a parsed compose file (relative paths from ``root``), in words; [] when
    nothing is."""
    problems: list[str] = []
    services: dict[str, Any] = doc.get("services") or {}
    if "version" in doc:
        problems.append("top-level 'version' is obsolete")
    problems += [f"service {name} is missing" for name in sorted(REQUIRED - set(services))]
    if problems:
        return problems
    try:
        resolved = interpolate(doc, variables)
    except MissingVariable as exc:
        return [f"variable {exc} is needed beyond the documented secrets"]

    for name, svc in services.items():  # secrets: demanded from the environment, never defaulted
        for key, value in _env(svc).items():
            if key.endswith("_FILE") and value.startswith("/run/secrets/"):
                continue  # a compose secret's file
            if re.search(r"PASSWORD|TOKEN|SECRET|API_KEY", key) and "${" not in value and value:
                problems.append(f"{name}: {key} is written in the file instead of taken from the environment")
    for secret in SECRETS:
        try:
            interpolate(doc, {k: v for k, v in SECRETS.items() if k != secret})
            problems.append(f"{secret} has a default: it must be required (${{{secret}:?...}})")
        except MissingVariable:
            pass

    known = set(UiSettings.model_fields)
    for name, svc in resolved["services"].items():
        for key in _env(svc):
            if key.startswith("DOCQA_") and key[len("DOCQA_") :].lower() not in known:
                problems.append(f"{name}: {key} is not a setting")

    declared = set(doc.get("volumes") or {})
    used = set()
    for name, svc in services.items():
        for vol in svc.get("volumes") or []:
            source = str(vol).split(":")[0]
            if not source.startswith((".", "/", "~")):
                used.add(source)
                if source not in declared:
                    problems.append(f"{name}: volume {source} is not declared")
    problems += [f"volume {v} is declared but unused" for v in sorted(declared - used)]

    for name, svc in services.items():
        one_shot = svc.get("restart") == "no"
        if not one_shot and not (svc.get("healthcheck") or {}).get("test"):
            problems.append(f"{name}: no healthcheck")
        for dep, spec in (
            (svc.get("depends_on") or {}).items() if isinstance(svc.get("depends_on"), dict) else []
        ):
            condition = (spec or {}).get("condition")
            wanted = (
                "service_completed_successfully"
                if services.get(dep, {}).get("restart") == "no"
                else "service_healthy"
            )
            if condition != wanted:
                problems.append(f"{name}: depends_on {dep} should wait for {wanted}, not {condition}")
            if set(services.get(dep, {}).get("profiles") or []) - set(svc.get("profiles") or []):
                problems.append(f"{name}: depends on {dep}, which only runs in a profile")
        if isinstance(svc.get("depends_on"), list):
            problems.append(
                f"{name}: depends_on without conditions starts before its dependencies are healthy"
            )

    engine, ui = resolved["services"]["engine"], resolved["services"]["ui"]
    try:
        eng = settings_from(_env(engine))
        uis = settings_from(_env(ui), UiSettings)
    except ValidationError as exc:
        return problems + [f"the containers' settings do not validate: {exc}"]
    if eng.engine_port not in _published(engine):
        problems.append(f"engine: engine_port {eng.engine_port} is not published")
    elif _published(engine)[eng.engine_port].split(":")[0] != "127.0.0.1":
        problems.append(f"engine: port {eng.engine_port} must be published on 127.0.0.1 only")
    if f":{eng.engine_port}/health" not in json.dumps(engine["healthcheck"]):
        problems.append(f"engine: the healthcheck does not ask /health on engine_port {eng.engine_port}")
    if f":{uis.ui_port}/" not in json.dumps(ui["healthcheck"]):
        problems.append(f"ui: the healthcheck does not ask ui_port {uis.ui_port}")
    problems += _production_problems(doc, resolved, eng, uis, root)
    if uis.engine_url != f"http://engine:{eng.engine_port}":
        problems.append(f"ui: DOCQA_ENGINE_URL {uis.engine_url} is not the engine service")
    if (
        not (eng.database_url or "").startswith("postgresql+psycopg://")
        or urlsplit(eng.database_url).hostname != "postgres"
    ):
        problems.append("engine: DOCQA_DATABASE_URL is not the postgres service over psycopg")
    if uis.database_url != eng.database_url:
        problems.append("ui and engine use different databases")
    if urlsplit(eng.qdrant_url or "").hostname != "qdrant" or urlsplit(eng.qdrant_url or "").port != 6333:
        problems.append("engine: DOCQA_QDRANT_URL is not the qdrant service")
    mounts = {str(v).split(":")[1] for v in engine.get("volumes") or []}
    if str(eng.data_dir) not in mounts:
        problems.append(f"engine: data_dir {eng.data_dir} is not on a volume")
    if eng.llm_backend == "local":
        problems.append("engine: the image has no local model; default to extractive")
    for name, svc in resolved["services"].items():
        cmd = _command(svc)
        if cmd[:1] == ["docqa"] and cmd[1:2] and cmd[1] not in docqa_subcommands():
            problems.append(f"{name}: `docqa {cmd[1]}` is not a docqa subcommand")

    llm = {n for n, s in services.items() if "llm" in (s.get("profiles") or [])}
    if not llm:
        problems.append("no service in the llm profile")
    try:
        with_llm = settings_from(
            _env(interpolate(doc, {**variables, "DOCQA_LLM_BACKEND": "openai"})["services"]["engine"])
        )
    except (ValidationError, MissingVariable) as exc:
        return problems + [f"the llm profile's settings do not validate: {exc}"]
    base = urlsplit(with_llm.openai_base_url or "")
    if with_llm.llm_backend != "openai" or base.hostname not in llm or not with_llm.openai_model:
        problems.append("DOCQA_LLM_BACKEND=openai does not point the engine at the llm profile's server")
    elif base.port != DEFAULT_LLM_PORT or not base.path.startswith("/v1"):
        problems.append(
            f"the llm server's OpenAI API is at :{DEFAULT_LLM_PORT}/v1, not {with_llm.openai_base_url}"
        )
    return problems


def _production_problems(
    doc: Mapping[str, Any], resolved: Mapping[str, Any], eng: Settings, uis: UiSettings, root: Path
) -> list[str]:
    """Production defaults: nothing but the TLS proxy published beyond loopback, the proxy in front
    of the UI, no demo mode or demo users, the first admin's password from a compose secret."""
    problems: list[str] = []
    services = resolved["services"]
    for name, svc in services.items():
        for port, binding in _published(svc).items():
            if name != "proxy" and not _loopback(binding):
                problems.append(
                    f"{name}: port {port} is published beyond 127.0.0.1 (plain HTTP); only the proxy "
                    "publishes, on 443"
                )
    proxy = services["proxy"]
    if 443 not in _published(proxy):
        problems.append("proxy: 443 is not published")
    if "ui" not in (proxy.get("depends_on") or {}):
        problems.append("proxy: does not wait for the ui")
    source = _mounts(proxy).get(CADDYFILE)
    caddyfile = (root / source) if source and source.startswith(".") else None
    if caddyfile is None or not caddyfile.is_file():
        problems.append(f"proxy: no Caddyfile from the repository mounted at {CADDYFILE}")
    else:
        text = caddyfile.read_text()
        if not re.search(rf"^\s*reverse_proxy\s+ui:{uis.ui_port}\s*$", text, re.M):
            problems.append(f"proxy: the Caddyfile does not pass requests to ui:{uis.ui_port}")
        if not re.search(r"^\s*tls\s+\S", text, re.M):
            problems.append("proxy: the Caddyfile has no tls directive")
    if eng.demo_mode:
        problems.append("engine: DOCQA_DEMO_MODE is on; the demo users' passwords are published")
    for name, svc in services.items():
        if any("seed" in part for part in _command(svc) + [str(svc.get("entrypoint") or "")]):
            problems.append(f"{name}: seeds the demo users")
    wanted = str(eng.admin_password_file or "")
    secret = wanted.removeprefix("/run/secrets/") if wanted.startswith("/run/secrets/") else None
    declared = (doc.get("secrets") or {}).get(secret) if secret else None
    if (
        secret is None
        or secret not in (services["engine"].get("secrets") or [])
        or not (declared or {}).get("file")
    ):
        problems.append(
            "engine: the first admin password (DOCQA_ADMIN_PASSWORD_FILE) is not a compose secret "
            "(/run/secrets/NAME, NAME in the engine's secrets and declared with a file)"
        )
    return problems


def docqa_subcommands() -> set[str]:
    import typer.main

    from app.cli import app

    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


# -- the real files ---------------------------------------------------------------------------------
def test_the_compose_file_has_no_problems() -> None:
    assert compose_problems(load_compose()) == []


def test_starting_without_the_secrets_stops_with_a_message() -> None:
    with pytest.raises(MissingVariable, match="POSTGRES_PASSWORD: set POSTGRES_PASSWORD"):
        interpolate(load_compose(), {"DOCQA_ENGINE_TOKEN": "t"})
    with pytest.raises(MissingVariable, match="DOCQA_ENGINE_TOKEN"):
        interpolate(load_compose(), {"POSTGRES_PASSWORD": "p"})


def test_the_engine_and_ui_read_the_settings_the_file_gives_them() -> None:
    services = interpolate(load_compose(), SECRETS)["services"]
    engine = settings_from(_env(services["engine"]))
    assert engine.database_url == "postgresql+psycopg://docqa:pw0123@postgres:5432/docqa"
    assert engine.engine_token.get_secret_value() == "token0123"
    assert (engine.qdrant_url, engine.llm_backend, engine.openai_api_key) == (
        "http://qdrant:6333",
        "extractive",
        None,
    )
    ui = settings_from(_env(services["ui"]), UiSettings)
    assert (ui.engine_url, ui.ui_port) == ("http://engine:8765", 8501)
    assert (engine.engine_port, ui.ui_port) == (ENGINE_PORT, UI_PORT)  # the settings' defaults
    assert _published(services["engine"]) == {ENGINE_PORT: f"127.0.0.1:{ENGINE_PORT}"}
    assert _published(services["ui"]) == {}  # only through the proxy
    assert _published(services["proxy"]) == {443: "443"}
    assert ui.engine_token == engine.engine_token
    assert (engine.demo_mode, engine.admin_name) == (False, "admin")
    assert engine.admin_password_file == Path("/run/secrets/docqa_admin_password")
    assert engine.admin_password is None


def test_the_compose_file_does_not_seed_the_demo_users() -> None:
    """Neither a service nor the instructions at the top create the demo users, whose passwords are
    published (erin / demo-erin is in the README)."""
    text = COMPOSE.read_text()
    assert "users seed" not in text and "users.yaml" not in text and "demo-" not in text
    assert "DOCQA_DEMO_MODE" not in text


def test_the_proxy_terminates_tls_in_front_of_the_ui() -> None:
    services = interpolate(load_compose(), SECRETS)["services"]
    caddyfile = ROOT / _mounts(services["proxy"])[CADDYFILE]
    assert caddyfile == ROOT / "deploy" / "Caddyfile"
    text = caddyfile.read_text()
    assert re.search(r"^\s*tls \{\$CADDY_TLS:internal\}$", text, re.M)  # internal CA unless told
    assert re.search(rf"^\s*reverse_proxy ui:{UI_PORT}$", text, re.M)
    assert services["proxy"]["environment"] == {"SITE_ADDRESS": "localhost", "CADDY_TLS": "internal"}
    health = services["proxy"]["healthcheck"]["test"]
    assert any(":2080/healthz" in part for part in health) and "http://:2080" in text
    assert _published(services["proxy"]) == {443: "443"}  # 2080 stays inside the container


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_dockerfile_copies_what_exists_and_runs_a_real_command() -> None:
    steps = dockerfile_instructions()
    assert steps[0] == ("FROM", "python:3.11-slim-bookworm")
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for kind, args in steps:
        if kind == "COPY":
            *sources, _dest = args.split()
            for src in sources:
                assert (ROOT / src).exists(), f"COPY {src}: no such file"
                assert src not in ignored, f"COPY {src}: excluded by .dockerignore"
    (cmd,) = [json.loads(args) for kind, args in steps if kind == "CMD"]
    assert cmd[0] == "docqa" and cmd[1] in docqa_subcommands()
    assert cmd[1] == "serve"
    env = " ".join(args for kind, args in steps if kind == "ENV")
    assert "DOCQA_ENGINE_HOST=0.0.0.0" in env and "DOCQA_DATA_DIR=/data" in env
    users = [args for kind, args in steps if kind == "USER"]
    assert users and users[-1] not in ("root", "0"), "the app must not run as root"
    for kind, args in steps:  # every DOCQA_* the image sets is a setting
        if kind == "ENV":
            for key in re.findall(r"\bDOCQA_(\w+)=", args):
                assert key.lower() in Settings.model_fields, f"ENV DOCQA_{key} is not a setting"


def test_the_image_installs_the_locked_torch_and_the_lock_like_setup_does() -> None:
    lock = (ROOT / "requirements" / "base.lock").read_text()
    (torch,) = re.findall(r"^torch==\S+", lock, re.M)
    runs = " ".join(args for kind, args in dockerfile_instructions() if kind == "RUN")
    assert f'"{torch}"' in runs or f" {torch} " in runs
    assert runs.index("torch==") < runs.index("--no-deps -r requirements/base.lock")


# -- the checker catches a broken file --------------------------------------------------------------
DELETE = object()


def _break(path: str, value: Any = DELETE) -> Any:
    """A function that sets ``value`` at "a.b.c" in a copy of the parsed file (or deletes it)."""

    def apply(doc: dict) -> dict:
        doc = copy.deepcopy(doc)
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node[key]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
        return doc

    return apply


BROKEN = [
    (_break("services.qdrant"), "service qdrant is missing"),
    (_break("services.engine.environment.DOCQA_QDRANT_ADDRESS", "http://qdrant:6333"), "is not a setting"),
    (_break("services.engine.environment.DOCQA_LLM_BACKEND", "gpt"), "do not validate"),
    (_break("services.engine.ports", ["0.0.0.0:8765:8765"]), "127.0.0.1 only"),
    (_break("services.engine.ports", ["127.0.0.1:8766:8766"]), "engine_port 8765 is not published"),
    (_break("services.engine.environment.DOCQA_ENGINE_PORT", "9000"), "engine_port 9000 is not published"),
    (_break("services.ui.ports", ["8501:8501"]), "ui: port 8501 is published beyond 127.0.0.1"),
    (_break("services.ui.ports", ["0.0.0.0:8501:8501"]), "ui: port 8501 is published beyond 127.0.0.1"),
    (_break("services.qdrant.ports", ["6333:6333"]), "qdrant: port 6333 is published beyond"),
    (_break("services.ui.healthcheck.test", ["CMD", "true", "http://127.0.0.1:8502/"]), "ui_port 8501"),
    (_break("services.proxy"), "service proxy is missing"),
    (_break("services.proxy.ports", ["8443:8443"]), "proxy: 443 is not published"),
    (_break("services.proxy.volumes", ["caddy-data:/data", "caddy-config:/config"]), "no Caddyfile"),
    (_break("services.proxy.depends_on", {}), "proxy: does not wait for the ui"),
    (_break("services.engine.environment.DOCQA_DEMO_MODE", "true"), "DOCQA_DEMO_MODE is on"),
    (_break("services.engine.command", ["sh", "-c", "docqa users seed && docqa serve"]), "seeds the demo"),
    (_break("services.engine.environment.DOCQA_ADMIN_PASSWORD_FILE"), "first admin password"),
    (_break("services.engine.secrets", []), "first admin password"),
    (_break("secrets"), "first admin password"),
    (_break("services.engine.environment.DOCQA_ADMIN_PASSWORD", "hunter22"), "written in the file"),
    (_break("services.ui.environment.DOCQA_ENGINE_URL", "http://localhost:8765"), "not the engine service"),
    (_break("services.engine.volumes", ["docqa-state:/data"]), "volume docqa-state is not declared"),
    (_break("volumes.unused-volume", None), "unused"),
    (_break("services.engine.volumes", ["docqa-data:/state"]), "data_dir /data is not on a volume"),
    (_break("services.postgres.healthcheck"), "postgres: no healthcheck"),
    (_break("services.ui.depends_on", ["engine"]), "without conditions"),
    (_break("services.ui.depends_on.engine.condition", "service_started"), "should wait for service_healthy"),
    (_break("services.engine.depends_on.llm", {"condition": "service_healthy"}), "only runs in a profile"),
    (_break("services.postgres.environment.POSTGRES_PASSWORD", "hunter2"), "written in the file"),
    (
        _break("services.engine.environment.DOCQA_DATABASE_URL", "sqlite:////data/docqa.db"),
        "DOCQA_DATABASE_URL",
    ),
    (_break("services.engine.environment.DOCQA_LLM_BACKEND", "local"), "no local model"),
    (_break("services.ui.command", ["docqa", "web"]), "`docqa web` is not a docqa subcommand"),
    (_break("services.llm.profiles", ["ollama"]), "does not point the engine at the llm profile"),
    (_break("services.engine.environment.DOCQA_OPENAI_BASE_URL", "http://llm:8000"), ":11434/v1"),
    (_break("version", "3.8"), "obsolete"),
]


@pytest.mark.parametrize(("breaking", "problem"), BROKEN, ids=[p for _, p in BROKEN])
def test_a_broken_compose_file_is_caught(breaking: Any, problem: str) -> None:
    found = compose_problems(breaking(load_compose()))
    assert any(problem in p for p in found), found


def test_a_default_for_a_secret_is_caught(tmp_path: Path) -> None:
    text = COMPOSE.read_text().replace("${DOCQA_ENGINE_TOKEN:?", "${DOCQA_ENGINE_TOKEN:-changeme}${X:-")
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(text)
    assert any("DOCQA_ENGINE_TOKEN has a default" in p for p in compose_problems(load_compose(broken)))


def test_interpolation_follows_compose() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("a${SET}b$SET$$SET", env) == "axbx$SET"
    assert interpolate("${EMPTY:-d}|${EMPTY-d}|${UNSET-d}|${UNSET:-d}", env) == "d||d|d"
    with pytest.raises(MissingVariable, match="EMPTY: needed"):
        interpolate("${EMPTY:?needed}", env)
    assert interpolate("${EMPTY?needed}", env) == ""
