"""The images a Tiltfile builds (parsed as Starlark with Python's parser, never run)."""

from __future__ import annotations

from relcheck.parsers.tiltfile import images_built
from relcheck.scan.discovery import FileKind, kind_by_name


def test_literal_refs_keyword_refs_and_names_bound_once_with_their_lines() -> None:
    text = (
        "load('ext://restart_process', 'docker_build_with_restart')\n"
        "API = 'registry.example.com/api'\n"
        "def build():\n"
        "    docker_build('quay.io/argoproj/argocd:latest', context='.')\n"
        "build()\n"
        "docker_build(API, './api')\n"
        "custom_build(ref='worker', command='make image', deps=['.'])\n"
        "docker_build_with_restart('ui@sha256:abc', '.', entrypoint=['/ui'])\n"
    )
    assert sorted(images_built(text), key=lambda found: found[1]) == [
        ("quay.io/argoproj/argocd", 4),
        ("registry.example.com/api", 6),
        ("worker", 7),
        ("ui", 8),
    ]


def test_computed_and_rebound_refs_are_not_read() -> None:
    text = (
        "IMAGE = 'first'\n"
        "IMAGE = 'second'\n"  # bound twice: which one a call sees depends on the order it runs in
        "docker_build(IMAGE, '.')\n"
        "docker_build(os.getenv('IMG', 'app'), '.')\n"
        "docker_build('/'.join([REGISTRY, 'app']), '.')\n"
        "k8s_yaml('deploy.yaml')\n"
    )
    assert images_built(text) == []


def test_a_file_python_cannot_parse_gives_nothing_and_no_error() -> None:
    assert images_built("docker_build('app', '.'\n") == []
    assert images_built("docker_build(" * 5000 + "'app'" + ")" * 5000) == []
    assert images_built("k8s_yaml('deploy.yaml')\n") == []


def test_tiltfiles_are_read_by_name() -> None:
    assert kind_by_name("Tiltfile") == FileKind.TILTFILE
    assert kind_by_name("dev/tilt/backend.tiltfile") == FileKind.TILTFILE
    assert kind_by_name("docs/tiltfile.md") != FileKind.TILTFILE
