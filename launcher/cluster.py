"""`make serve-cluster`: the assistant as a deployment of several processes, on one machine.

    PostgreSQL   conversations, orders, tickets          (DATABASE_URL)
    Redis        conversation locks, socket.io messages  (REDIS_URL)
    rasa-1..N    Rasa instances on 5005, 5006, ...
    actions      the action server, several workers
    web          the mall page and the agent console (behind the load balancer)
    lb           nginx on 8080: the page, /agent, /webhooks/ and /socket.io/ (sticky)

The tests and the benchmark run the same cluster on free ports (`running_cluster`).
"""

from __future__ import annotations

import secrets
import shutil
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

from launcher import stack
from launcher.backing import Postgres, Redis, running_postgres, running_redis
from launcher.processes import free_port, remove_pid, write_pid
from launcher.stack import prepare_store
from launcher.supervisor import Service, Supervisor
from mall import settings
from mall.agents import Agent

ACTION_WORKERS = 2
NGINX = "/usr/sbin/nginx"
# The cookie nginx gives each browser to keep its socket on one Rasa instance: long polling
# sends several requests per session, and all must reach the instance that holds it.
STICKY_COOKIE = "mall_lb"


@dataclass(frozen=True)
class ClusterConfig:
    instances: int
    rasa_ports: List[int]
    actions_port: int
    lb_port: int  # the page, /agent, /webhooks/, /socket.io/
    web_port: int  # the page and console, reached through the load balancer only
    api_port: int  # the load balancer's door to Rasa's HTTP API, for the console (loopback)
    postgres_port: int
    redis_port: int
    rasa_token: str
    state: Path  # PostgreSQL's data, nginx's files
    logs: Path
    run_dir: Path  # pid files
    model: Path = settings.MODEL
    mall_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))  # signs customer tokens
    extra_env: Dict[str, str] = field(default_factory=dict)

    @classmethod
    def default(cls, instances: int, rasa_token: str) -> ClusterConfig:
        """The fixed ports of SPEC section 7, the state under var/."""
        return cls(
            instances=instances,
            rasa_ports=[settings.PORTS.rasa + i for i in range(instances)],
            actions_port=settings.actions_port(),
            lb_port=settings.PORTS.web,
            web_port=settings.PORTS.cluster_page,
            api_port=settings.PORTS.cluster_rasa_api,
            postgres_port=settings.PORTS.cluster_postgres,
            redis_port=settings.PORTS.cluster_redis,
            rasa_token=rasa_token,
            state=settings.VAR / "cluster",
            logs=settings.LOGS,
            run_dir=settings.RUN,
        )

    @classmethod
    def on_free_ports(
        cls, workdir: Path, instances: int, rasa_token: str, model: Path = settings.MODEL
    ) -> ClusterConfig:
        return cls(
            instances=instances,
            rasa_ports=[free_port() for _ in range(instances)],
            actions_port=free_port(),
            lb_port=free_port(),
            web_port=free_port(),
            api_port=free_port(),
            postgres_port=free_port(),
            redis_port=free_port(),
            rasa_token=rasa_token,
            state=workdir / "state",
            logs=workdir / "log",
            run_dir=workdir / "run",
            model=model,
        )

    @property
    def origins(self) -> List[str]:
        return [f"http://localhost:{self.lb_port}", f"http://127.0.0.1:{self.lb_port}"]


_PROXY = """
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"""


def _upstreams(config: ClusterConfig) -> str:
    rasa = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in config.rasa_ports)
    return f"""
  # A browser keeps its socket.io session on one instance: by its cookie, else (a client
  # without cookies) by its address.
  map $cookie_{STICKY_COOKIE} $sticky_key {{
    "" $remote_addr;
    default $cookie_{STICKY_COOKIE};
  }}
  map $http_upgrade $connection_upgrade {{
    default upgrade;
    "" "";
  }}
  # Messages over REST need no stickiness (the conversation is in PostgreSQL, its lock in
  # Redis): round robin, and a message refused by a dead instance goes to the next.
  upstream rasa {{
{rasa}
    keepalive 64;
  }}
  upstream rasa_sticky {{
    hash $sticky_key consistent;
{rasa}
  }}"""


def _public_server(config: ClusterConfig) -> str:
    """The page and /agent, the console's live channel, the REST webhook and socket.io, on the
    one public port."""
    return f"""
  server {{
    listen 127.0.0.1:{config.lb_port};
    location / {{
      proxy_pass http://127.0.0.1:{config.web_port};{_PROXY}
      proxy_set_header Connection "";
      if ($cookie_{STICKY_COOKIE} = "") {{
        add_header Set-Cookie "{STICKY_COOKIE}=$request_id; Path=/; HttpOnly; SameSite=Lax";
      }}
    }}
    # The agent console's live channel (server-sent events): passed on as it comes, and
    # held open (the web app sends a keep-alive line every 15 s).
    location = /agent/api/live {{
      proxy_pass http://127.0.0.1:{config.web_port};{_PROXY}
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_cache off;
      proxy_read_timeout 3600s;
    }}
    location /webhooks/ {{
      proxy_pass http://rasa;{_PROXY}
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503;
      proxy_read_timeout 120s;
    }}
    location /socket.io/ {{
      proxy_pass http://rasa_sticky;{_PROXY}
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 3600s;
      proxy_buffering off;
    }}
  }}"""


def _api_server(config: ClusterConfig) -> str:
    """Rasa's HTTP API, for the agent console only (never the browser: it needs the token)."""
    return f"""
  server {{
    listen 127.0.0.1:{config.api_port};
    location / {{
      proxy_pass http://rasa;{_PROXY}
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503;
    }}
  }}"""


def nginx_conf(config: ClusterConfig, prefix: Path) -> str:
    return f"""daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {config.logs}/lb-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  client_max_body_size {settings.MAX_REQUEST_BYTES};
{_upstreams(config)}
{_public_server(config)}
{_api_server(config)}
}}
"""


def write_nginx_conf(config: ClusterConfig) -> Path:
    prefix = (config.state / "nginx").resolve()
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    config.logs.mkdir(parents=True, exist_ok=True)
    path = prefix / "nginx.conf"
    path.write_text(nginx_conf(config, prefix))
    return path


def metrics_dir_env(config: ClusterConfig) -> Dict[str, str]:
    """The action server's workers share their metrics through files (mall.metrics): a new,
    empty folder for each start of the cluster."""
    folder = config.state / "metrics-actions"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return {settings.METRICS_DIR_ENV: str(folder)}


def cluster_services(config: ClusterConfig, database_url: str, redis_url: str) -> List[Service]:
    env = stack.server_env(
        settings.orders_db(),
        settings.conversations_db(),
        {
            settings.DATABASE_URL_ENV: database_url,
            settings.REDIS_URL_ENV: redis_url,
            settings.TRUSTED_PROXIES_ENV: "127.0.0.1",  # nginx, on loopback
            "ACTION_SERVER_SANIC_WORKERS": str(ACTION_WORKERS),
            **config.extra_env,
        },
    )
    config.state.mkdir(parents=True, exist_ok=True)
    endpoints = stack.write_endpoints(config.state, config.actions_port)
    rasa_env, rasa_args = stack.rasa_server_settings(env, config.origins, config.mall_secret, config.rasa_token)
    services = [stack.actions_service(config.actions_port, config.logs, {**env, **metrics_dir_env(config)})]
    for number, port in enumerate(config.rasa_ports, start=1):
        services.append(
            Service(
                f"rasa-{number}",
                stack.rasa_command(port, endpoints=endpoints, model=config.model, extra_args=rasa_args),
                config.logs / f"rasa-{number}.log",
                rasa_env,
                f"http://127.0.0.1:{port}/",
            )
        )
    web_env = {
        **env,
        settings.RASA_TOKEN_ENV: config.rasa_token,
        settings.MALL_SECRET_ENV: config.mall_secret,
    }
    # The page tells the widget to find socket.io at the load balancer (its own origin).
    web_command = [*stack.web_command(config.web_port, config.lb_port), "--rasa-api-url"]
    web_command.append(f"http://127.0.0.1:{config.api_port}")
    services.append(
        Service("web", web_command, config.logs / "web.log", web_env, f"http://127.0.0.1:{config.web_port}/")
    )
    nginx = [NGINX, "-p", str((config.state / "nginx").resolve()), "-c", str(write_nginx_conf(config))]
    services.append(Service("lb", nginx, config.logs / "lb.log", env, f"http://127.0.0.1:{config.lb_port}/"))
    return services


@dataclass
class Backing:
    postgres: Postgres
    redis: Redis
    first_accounts: List[Tuple[Agent, str]]  # created in a new database: shown once


@contextmanager
def running_backing(config: ClusterConfig) -> Iterator[Backing]:
    """PostgreSQL and Redis, with their pid files; the demo orders and the first agents'
    accounts in a new database."""
    with ExitStack() as stack_:
        postgres = stack_.enter_context(running_postgres(config.state / "postgres", config.postgres_port))
        stack_.callback(remove_pid, "postgres", config.run_dir)
        write_pid("postgres", postgres.process.pid, config.run_dir)
        redis = stack_.enter_context(running_redis(config.state / "redis", config.redis_port))
        stack_.callback(remove_pid, "redis", config.run_dir)
        write_pid("redis", redis.process.pid, config.run_dir)
        yield Backing(postgres, redis, prepare_store(postgres.url))


@dataclass
class Cluster:
    config: ClusterConfig
    backing: Backing
    supervisor: Supervisor

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.config.lb_port}"

    def rasa_url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.config.rasa_ports[number - 1]}"

    def service(self, name: str) -> Service:
        return next(service for service in self.supervisor.services if service.name == name)


@contextmanager
def running_cluster(config: ClusterConfig) -> Iterator[Cluster]:
    """The whole cluster, supervised in a thread, until the block ends (tests, benchmark)."""
    with running_backing(config) as backing:
        services = cluster_services(config, backing.postgres.url, backing.redis.url)
        supervisor = Supervisor(services, say=lambda _: None, run_dir=config.run_dir)
        ready = threading.Event()
        thread = threading.Thread(target=supervisor.run, args=(ready.set, False), daemon=True)
        thread.start()
        try:
            if not ready.wait(timeout=600):
                raise TimeoutError(f"the cluster did not come up; see {config.logs}")
            yield Cluster(config, backing, supervisor)
        finally:
            supervisor.stop()
            thread.join()


def serve_cluster(config: ClusterConfig, on_ready: Callable[[List[Tuple[Agent, str]]], None]) -> None:
    """`make serve-cluster`: until Ctrl-C. `on_ready` gets the agents' accounts a new
    database was given, with their passwords."""
    with running_backing(config) as backing:
        services = cluster_services(config, backing.postgres.url, backing.redis.url)
        Supervisor(services, run_dir=config.run_dir).run(lambda: on_ready(backing.first_accounts))
