"""Container image references: repository, tag and digest."""

from __future__ import annotations

import re


def image_reference(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest); a registry port (`host:5000/app`) is not a tag."""
    name, _, digest = image.partition("@")
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        return name[:colon], name[colon + 1 :], digest or None
    return name, None, digest or None


# A placeholder that a script fills in before the file is applied (`<LOAD_GENERATOR_IMAGE>`,
# `${IMAGE}`, `app:$TAG`, `{IMAGE}` for sed): what the tag will be is not in the file.
_PLACEHOLDER = re.compile(r"<[^<>]*>|\$\{?[A-Za-z_]|\{[A-Za-z_][\w.-]*\}")
_KO_SCHEME = "ko://"


def unpinned_reason(image: str) -> str | None:
    """Why an image is not pinned ('no tag', "the 'latest' tag"), or None when it is or when its
    name and tag are a placeholder (a placeholder registry before `app:latest` still tells the tag)."""
    if _PLACEHOLDER.search(image.rsplit("/", 1)[-1]):
        return None
    # `ko://` names a Go package that `ko resolve` / `ko apply` builds and replaces with the image's digest.
    if image.startswith(_KO_SCHEME):
        return None
    _, tag, digest = image_reference(image)
    if digest is not None:
        return None
    if tag is None:
        return "no tag"
    if tag == "latest":
        return "the 'latest' tag"
    return None


# What `/bin/sh` is in an image, told by its name. BusyBox ash (Alpine, BusyBox) and bash (the
# RHEL family's /bin/sh) replace themselves with the last simple command of a `-c` script; Debian's
# and Ubuntu's dash does not, not even for a single command (so the official images built on them
# keep `sh` as PID 1).
_BUSYBOX_REPOSITORIES = frozenset({"alpine", "busybox"})
_BASH_REPOSITORIES = frozenset(
    {"centos", "fedora", "rockylinux", "almalinux", "amazonlinux", "oraclelinux", "ubi", "ubi-minimal", "ubi-init"}
)


def image_shell(image: str | None) -> str | None:
    """'busybox' or 'bash' when the image's name says which shell `/bin/sh` is; None otherwise
    (Debian- and Ubuntu-based images, whose sh is dash, and images the name does not tell)."""
    if not image:
        return None
    repository, tag, _ = image_reference(image.lower())
    name = repository.rsplit("/", 1)[-1]
    if name in _BUSYBOX_REPOSITORIES or (tag is not None and "alpine" in tag):
        return "busybox"
    if name in _BASH_REPOSITORIES or re.search(r"(?:^|/)ubi\d+(?:/|$)", repository):
        return "bash"
    return None


_DOCKER_HUB_REGISTRIES = ("docker.io/", "index.docker.io/", "registry-1.docker.io/")


def hub_repository(image: str) -> str:
    """The repository as Docker Hub names it, lowercase, without its registry or `library/`
    (`docker.io/library/debian:12` is `debian`); other registries' repositories as written."""
    repository = image_reference(image.lower())[0]
    registry = next((r for r in _DOCKER_HUB_REGISTRIES if repository.startswith(r)), "")
    return repository[len(registry) :].removeprefix("library/")


_CAPITALS_WORD = re.compile(r"[A-Z][A-Z0-9_]*")


def is_placeholder_image(image: str | None) -> bool:
    """A base image written as a word in capitals (`FROM BASEIMAGE`), which no image reference can
    be (repositories are lowercase): a placeholder a build step replaces before building (the
    Kubernetes autoscaler's Makefile runs `sed -i 's|BASEIMAGE|$(BASEIMAGE)|g' Dockerfile`)."""
    return bool(image) and _CAPITALS_WORD.fullmatch(image_reference(image)[0]) is not None


def is_official_image(image: str | None) -> bool:
    """An image of Docker Hub's official library (`node`, `docker.io/library/alpine`): they run as
    root unless told otherwise. Images of other publishers set their own user, which the
    Dockerfile that builds on them does not show (`grafana/k6` runs as k6, Bitnami's as 1001)."""
    if not image or "$" in image:
        return False
    repository = image_reference(image)[0]
    if repository != repository.lower():
        return False  # not a reference Docker takes (repositories are lowercase): see is_placeholder_image
    # `docker.io/node` is `docker.io/library/node`, as Docker reads it.
    registry = next((r for r in _DOCKER_HUB_REGISTRIES if repository.startswith(r)), "")
    return "/" not in repository[len(registry) :].removeprefix("library/")


# Official images whose entrypoint starts as root and then runs the server as an unprivileged user
# (`exec gosu postgres ...`) when the command is the server itself or only its flags:
# image → (that user, the server programs).
STEPS_DOWN = {
    "postgres": ("postgres", ("postgres",)),
    "mysql": ("mysql", ("mysqld",)),
    "mariadb": ("mysql", ("mariadbd", "mysqld")),
    "mongo": ("mongodb", ("mongod", "mongos")),
    "redis": ("redis", ("redis-server", "redis-sentinel")),
    "rabbitmq": ("rabbitmq", ("rabbitmq-server",)),
    "cassandra": ("cassandra", ("cassandra",)),
}


def stepped_down_user(image: str | None) -> tuple[str, tuple[str, ...]] | None:
    """For an official image whose entrypoint drops root before the server runs: (user, servers)."""
    if not is_official_image(image):
        return None
    name = image_reference((image or "").lower())[0].rsplit("/", 1)[-1]
    return STEPS_DOWN.get(name)


# Well-known images of Go servers that set a non-root USER of their own and whose own command
# handles SIGTERM as PID 1 (a Dockerfile that sets no ENTRYPOINT keeps it): Prometheus's and
# Alertmanager's (`USER nobody`; `signal.Notify(term, os.Interrupt, syscall.SIGTERM)`, then a
# graceful exit) and Grafana's from 5.1 (`USER grafana`, uid 472; its run.sh execs the server,
# which shuts down on SIGTERM). Repository → (that user, the first version that sets it).
PROMETHEUS_IMAGES = frozenset({"prom/prometheus", "quay.io/prometheus/prometheus"})
SELF_CONTAINED_SERVERS: dict[str, tuple[str, tuple[int, int] | None]] = {
    **dict.fromkeys(PROMETHEUS_IMAGES, ("nobody", None)),
    "prom/alertmanager": ("nobody", None),
    "quay.io/prometheus/alertmanager": ("nobody", None),
    "grafana/grafana": ("grafana", (5, 1)),
    "grafana/grafana-oss": ("grafana", None),
    "grafana/grafana-enterprise": ("grafana", None),
}
_RELEASE_TAG = re.compile(r"^v?(\d+)\.(\d+)")


def self_contained_server(image: str | None) -> str | None:
    """The non-root user of a well-known server image that also handles SIGTERM as PID 1
    (`prom/prometheus`, `grafana/grafana` from 5.1), or None. A tag that names no version
    (`latest`, `main`) is taken as a current release."""
    if not image or "$" in image:
        return None
    known = SELF_CONTAINED_SERVERS.get(hub_repository(image))
    if known is None:
        return None
    user, since = known
    release = _RELEASE_TAG.match(image_reference(image.lower())[1] or "")
    if since is not None and release is not None and (int(release[1]), int(release[2])) < since:
        return None
    return user


# Data stores, told by a word of the image's name (`redis`, `bitnami/postgresql`, `rs-mysql-db`):
# more replicas of one are separate servers unless it is set up to replicate, and an autoscaler adds
# no capacity to one. Words that make the image a tool beside a store are not stores
# (`mongo-express`, `redis-commander`, `postgres-exporter`, `mysql-operator`).
DATA_STORES = frozenset(
    {
        "mysql", "mariadb", "postgres", "postgresql", "mongo", "mongodb", "redis", "valkey", "keydb",
        "rabbitmq", "cassandra", "scylla", "elasticsearch", "opensearch", "memcached", "couchdb", "neo4j",
        "influxdb", "clickhouse", "zookeeper", "kafka", "etcd", "nats", "minio",
        # Databases on Postgres or of their own (aks-store-demo runs Microsoft's `documentdb-local`),
        # search engines and vector stores, a queue: each replica holds its own data. (Not Milvus or
        # Pulsar, whose one image runs stateless components too: proxies, query nodes, brokers.)
        "documentdb", "ferretdb", "cockroach", "cockroachdb", "timescaledb", "yugabyte", "questdb", "arangodb",
        "couchbase", "rethinkdb", "dgraph", "surrealdb", "dragonfly", "typesense", "meilisearch", "solr",
        "qdrant", "weaviate", "redpanda",
        # Postgres with an extension built in (chatwoot's `chatwoot/pgvector`, `postgis/postgis`).
        "pgvector", "postgis",
        # A database image named as one (harbor's `goharbor/harbor-db`, its Postgres).
        "db",
    }
)
_STORE_TOOLS = frozenset(
    {
        "exporter", "commander", "express", "ui", "admin", "operator", "proxy", "insight", "gui", "dashboard",
        "client", "cli", "backup", "migrate", "migrations", "init", "browser", "sidecar", "connect", "manager",
        "controller", "webhook", "tools", "bouncer", "pgbouncer", "adminer", "mc",
        # NATS's own: `nats-box` (a CLI toolbox), `nats-surveyor` (monitoring), the config reloader,
        # the account server (auth); and `kube-arangodb`, an operator.
        "box", "toolbox", "surveyor", "reloader", "bridge", "account", "kube",
        # A KEDA external scaler or a metrics adapter reads a store's state: `external-scaler-azure-cosmos-db`.
        "scaler", "adapter",
        # A client that moves messages between a queue and something else (OpenFaaS's `kafka-connector`,
        # `rabbitmq-connector`, `postgres-connector` invoke functions on events) holds no data.
        "connector", "consumer", "producer", "publisher", "subscriber", "sink",
    }
)

# Caches among the stores: their servers never replicate and know nothing of one another; clients
# spread keys over them (memcached's design), so more replicas are more shards, which is the fix.
CACHE_STORES = frozenset({"memcached"})


# Stores told by their whole name: VictoriaMetrics' single-node servers (each replica its own
# database; the cluster's `vmstorage` shards are another image); HashiCorp's Vault (and its fork
# OpenBao) and Consul servers, which replicate only in their HA or raft mode (vault-helm's standalone
# server keeps its secrets on its own volume, and the chart runs it with one replica), while their
# Kubernetes helpers (`vault-k8s`, the agent injector; `consul-k8s-control-plane`) hold no data.
WHOLE_NAME_STORES = frozenset({"victoria-metrics", "victoria-logs", "victoria-traces", "vault", "openbao", "consul"})


def store_tool(image: str | None) -> bool:
    """Whether an image is a tool beside a data store, named for both (`clickhouse-backup`,
    `redis-exporter`, `mongo-express`): a sidecar to the store, not the pod's program."""
    if not isinstance(image, str) or not image or "$" in image or "{" in image:
        return False
    words = re.split(r"[-_.]", image_reference(image.lower())[0].rsplit("/", 1)[-1])
    return any(word in _STORE_TOOLS for word in words) and any(word in DATA_STORES for word in words)


def data_store(image: str | None) -> str | None:
    """The data store an image runs, told by its name, or None (not a store, or a tool beside one)."""
    if not image or "$" in image or "{" in image:
        return None
    name = image_reference(image.lower())[0].rsplit("/", 1)[-1]
    if name in WHOLE_NAME_STORES:
        return name
    words = re.split(r"[-_.]", name)
    if any(word in _STORE_TOOLS for word in words):
        return None
    stores = [word for word in words if word in DATA_STORES]
    if len(set(stores)) > 1 and "db" in stores:
        stores = [word for word in stores if word != "db"]  # `rs-mysql-db`: the store's own name says more
    if len(set(stores)) > 1:
        return None  # a bridge between two (`nats-kafka`, `mongo-kafka`), which holds neither's data
    if stores == ["db"]:
        return name  # `harbor-db`: "separate harbor-db servers" says which, "separate db servers" does not
    return stores[0] if stores else None
