"""Knowing what each file is: kustomize patches, Prometheus rule look-alikes, GitOps objects."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from relcheck.config.loader import Config
from relcheck.scan.engine import scan

PRECISION = Path(__file__).parent / "fixtures" / "precision"


def test_kustomize_patches_are_not_objects() -> None:
    # As without kustomize: the overlay's files one by one (tests/test_render.py builds it).
    result = scan([PRECISION / "kustomize"], Config(render=False), select=["K"])
    by_file = Counter(f.location.path for f in result.findings)
    assert set(by_file) == {"base/deployment.yaml"}, by_file  # the base is still checked in full
    assert by_file["base/deployment.yaml"] >= 10
    assert [f for f in result.findings if f.code.startswith("E")] == []


def test_a_helm_test_written_out_runs_only_under_helm_test(tmp_path: Path) -> None:
    """A chart's committed output holds its test Pods (`helm.sh/hook: test`): `helm install`
    never creates them, as a render leaves them out. The Job beside it, an uninstall hook, runs."""
    from relcheck.reporters.inventory import inventory

    test_pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: operator-metrics-test\n  annotations:\n"
        '    "helm.sh/hook": test\nspec:\n  containers:\n    - {name: wget, image: "busybox:latest"}\n'
    )
    hook_job = (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pre-delete\n  annotations:\n"
        '    "helm.sh/hook": pre-delete\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n'
        '      containers:\n        - {name: delete, image: "busybox:latest"}\n'
    )
    (tmp_path / "rendered").mkdir()
    (tmp_path / "rendered" / "test-connection.yaml").write_text(test_pod)
    (tmp_path / "rendered" / "hooks.yaml").write_text(hook_job)
    result = scan([tmp_path], Config(), select=["K019"])
    assert [(f.code, f.location.path, f.location.line) for f in result.findings] == [
        ("K019", "rendered/hooks.yaml", 12)
    ]
    assert result.objects == 1 and inventory(result)["not_checked"] == {"Helm test (runs only under `helm test`)": 1}


@pytest.mark.parametrize(
    ("name", "selector", "patch"),
    [
        ("2.argocd-repo-server-patch.yaml", "", True),  # applied with `kubectl patch --patch-file`
        ("repo-server-patch.yaml", "  selector: {matchLabels: {app: repo}}\n", False),  # whole: a workload
        ("repo-server.yaml", "", False),  # not named as a patch: checked as written
        # kubeflow's tensorboard `base/patches/add_service_account.yaml`, which no kustomization names.
        ("base/patches/add_service_account.yaml", "", True),
        ("kustomize-patches/repo-server.yaml", "", True),
        ("dispatcher/repo-server.yaml", "", False),  # the letters, not the word
    ],
)
def test_a_workload_without_a_selector_in_a_patch_file_is_a_patch(
    tmp_path: Path, name: str, selector: str, patch: bool
) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: argocd-repo-server}\nspec:\n" + selector
        + "  template:\n    spec:\n      containers: [{name: cmp, image: alpine}]\n"
    )
    result = scan([tmp_path], Config(), select=["K014"])
    assert (result.kustomize_patches, len(result.findings)) == ((1, 0) if patch else (0, 1))


def test_a_workload_without_an_image_is_a_patch_not_an_object(tmp_path: Path) -> None:
    """The API server refuses a container without an image: a file with one is a fragment that
    another tool completes (here a kubeadm patch of a static pod, then a strategic-merge patch),
    not a workload to lint. Written whole, the same workloads are checked."""
    from relcheck.reporters.inventory import inventory

    kubeadm = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-controller-manager, namespace: kube-system}\n"
        "spec:\n  containers:\n    - name: kube-controller-manager\n"
        "      resources: {requests: {cpu: 1m}}\n"
    )
    merge = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n"
        "      initContainers: [{name: wait, image: busybox:1.36}]\n"
        "      containers: [{name: api, image: ''}]\n"
    )
    (tmp_path / "patches").mkdir()
    (tmp_path / "patches" / "kube-controller-manager.yaml").write_text(kubeadm)
    (tmp_path / "patches" / "api.yaml").write_text(merge)
    result = scan([tmp_path], Config(), select=["K"])
    assert result.findings == [] and result.objects == 0 and result.kustomize_patches == 2
    assert inventory(result)["not_checked"] == {"patch (not a whole object)": 2}
    whole = kubeadm.replace("cpu: 1m}}", "cpu: 1m}}\n      image: k8s:1")
    (tmp_path / "patches" / "kube-controller-manager.yaml").write_text(whole)
    result = scan([tmp_path], Config(), select=["K006"])
    assert [(f.code, f.location.path) for f in result.findings] == [("K006", "patches/kube-controller-manager.yaml")]


def test_look_alikes_of_rule_files_and_gitops_objects() -> None:
    from relcheck.reporters.inventory import inventory

    result = scan([PRECISION / "look-alikes"], Config())
    found = sorted((f.location.path, f.location.line, f.code) for f in result.findings if f.code != "R005")
    assert [(p, c) for p, _, c in found if c.startswith("A")] == []
    infos = {(p, line) for p, line, c in found if c == "E002"}
    assert infos == {
        ("grafana/provisioning/alerting/rules.yaml", 1),
        ("loki/rules.yaml", 1),
        ("loki/prometheusrule.yaml", 3),  # a PrometheusRule of LogQL rules: the Loki ruler's
        ("generator/template.yml", 1),  # a Liquid template of a rule file: not broken YAML (E001)
        ("gitops/podinfo.yaml", 2),
        ("gitops/podinfo.yaml", 10),
        ("gitops/podinfo.yaml", 15),
    }
    assert not any(path.startswith("site/") for path, _, _ in found)
    messages = {f.message for f in result.findings if f.code == "E002"}
    helm = "HelmRelease 'podinfo' deploys a Helm chart that relcheck did not render"
    assert any(m.startswith(helm) for m in messages)
    assert any("LogQL" in m for m in messages) and any("Grafana" in m for m in messages)
    assert any(m.startswith("1 template in generator/") and " was not checked" in m for m in messages)
    # Each skip's hint fits its reason: none but a size cap's speaks of `max-file-size`.
    fixes = {f.message.split(" ", 1)[0]: f.fix for f in result.findings if f.code == "E002"}
    assert "| relcheck scan -" in fixes["HelmRelease"] and "template is checked once" in fixes["1"]
    assert not any("max-file-size" in fix for fix in fixes.values())
    assert "E001" not in {c for _, _, c in found}
    not_checked = inventory(result)["not_checked"]
    assert not_checked["rule file look-alike (Grafana, Loki)"] == 3  # Grafana's file, Loki's two
    assert "skipped file (size, binary, special)" not in not_checked


def test_a_file_over_the_size_cap_is_told_how_to_be_read(tmp_path: Path) -> None:
    (tmp_path / "deployment.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\n" + "# padding\n" * 200)
    (finding,) = [f for f in scan([tmp_path], Config(max_file_size=1000)).findings if f.code == "E002"]
    assert finding.message.endswith("-byte cap; skipped") and "raise `max-file-size`" in (finding.fix or "")


def test_a_dockerfile_fragment_is_counted_as_one(tmp_path: Path) -> None:
    from relcheck.reporters.inventory import inventory

    (tmp_path / "Dockerfile.append").write_text("COPY preview/idle.js /app/preview/idle.js\n")
    result = scan([tmp_path], Config())
    assert [(f.code, f.location.path) for f in result.findings if f.code.startswith("E")] == [
        ("E002", "Dockerfile.append")
    ]
    assert inventory(result)["not_checked"] == {"Dockerfile fragment (no FROM)": 1}


def test_node_rules_stay_off_a_go_service() -> None:
    """A Go service with a package.json for its front-end tooling and browser JavaScript: no S rules,
    no metric-definition guesses (its metrics are defined in Go), no Node-only alert, no
    node_modules demand in its .dockerignore."""
    result = scan([PRECISION / "go-service"], Config())
    (service,) = result.services
    assert service.runtime == "go"
    codes = {f.code for f in result.findings}
    assert not {code for code in codes if code.startswith("S")} and "X007" not in codes and "D012" not in codes
    (a002,) = [f for f in result.findings if f.code == "A002"]
    assert "HighEventLoopLag" not in a002.message and "8 alerts" in a002.message


def test_a_binary_a_node_stage_hands_to_a_plain_image_is_no_node_service(tmp_path: Path) -> None:
    """uptime-kuma's push client: a Node stage picks the Go binary for the platform, and the final
    Debian image runs that binary, with no node to run anything else: no S rules for its build
    script. A final image that runs node itself stays a Node service."""
    (tmp_path / "package.json").write_text('{"scripts": {"build-linux": "go build -o build/push push.go"}}')
    (tmp_path / "build.js").write_text("require('fs').copyFileSync(process.argv[2], 'push');\n")
    dockerfile = (
        "FROM node:22-bookworm-slim AS build\nWORKDIR /home/kuma\nCOPY build.js build.js\n"
        "RUN node build.js linux\n\nFROM debian:bookworm-slim AS release\nWORKDIR /home/kuma\n"
        "COPY --from=build /home/kuma/uptime-kuma-push ./uptime-kuma-push\n"
        'ENTRYPOINT ["/home/kuma/uptime-kuma-push"]\n'
    )
    (tmp_path / "Dockerfile").write_text(dockerfile)
    result = scan([tmp_path], Config(), select=["S001"])
    assert [s.runtime for s in result.services] == ["native"] and not result.findings
    for command in ('["node", "build.js"]', '["./start.sh"]'):  # node, or a script that may start it
        copied = dockerfile.replace("uptime-kuma-push ./uptime-kuma-push", "start.sh ./start.sh")
        (tmp_path / "Dockerfile").write_text(copied.replace('["/home/kuma/uptime-kuma-push"]', command))
        result = scan([tmp_path], Config(), select=["S001"])
        assert [s.runtime for s in result.services] == ["node"]
    assert [(f.code, f.location.path) for f in result.findings] == [("S001", "build.js")]


def test_a_go_commands_folder_is_a_go_service_whatever_javascript_it_holds(tmp_path: Path) -> None:
    """jaeger's `cmd/jaeger/`: its image runs a binary on a base image named by a build argument,
    and the go.mod is at the repository's root; `main.go` says it is Go, so the Node rules stay
    off the UI configuration scripts its tests read."""
    command = tmp_path / "cmd" / "jaeger"
    (command / "internal" / "ui").mkdir(parents=True)
    (tmp_path / "go.mod").write_text("module example.com/jaeger\n\ngo 1.23\n")
    (command / "main.go").write_text("package main\n\nfunc main() {}\n")
    (command / "Dockerfile").write_text(
        'ARG base_image\nFROM $base_image\nCOPY jaeger-linux /jaeger\nUSER 10001\nENTRYPOINT ["/jaeger"]\n'
    )
    (command / "internal" / "ui" / "ui-config.js").write_text("function UIConfig() { return {}; }\n")
    result = scan([tmp_path], Config(), select=["S"])
    assert [(s.root, s.runtime) for s in result.services] == [("cmd/jaeger", "go")]
    assert result.findings == []


def test_a_browser_app_inside_a_services_folder_is_part_of_its_build(tmp_path: Path) -> None:
    """listmonk: `frontend/` (Vue, built with Vite) and `frontend/email-builder/` (React) are built
    into the Go binary; nothing deploys or starts them, so they are the service's files, not
    services with R001-R005 of their own. The same app at the top of a workspace, or with a
    Dockerfile of its own, is a service."""
    (tmp_path / "Dockerfile").write_text('FROM alpine:3.20\nCOPY listmonk /listmonk\nUSER 1000\nCMD ["/listmonk"]\n')
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")
    # karma's `ui/` starts Vite's development server: no start of the app either.
    vue = '{"name": "listmonk", "scripts": {"start": "vite", "build": "vite build"}, "dependencies": {"vue": "2"}}'
    react = '{"name": "email-builder", "scripts": {"build": "vite build"}, "dependencies": {"react": "18"}}'
    (tmp_path / "frontend" / "email-builder").mkdir(parents=True)
    (tmp_path / "frontend" / "package.json").write_text(vue + "\n")
    (tmp_path / "frontend" / "email-builder" / "package.json").write_text(react + "\n")
    (tmp_path / "frontend" / "src").mkdir()
    (tmp_path / "frontend" / "src" / "api.js").write_text("export const get = (url) => fetch(url);\n")
    result = scan([tmp_path], Config(), select=["R001", "S"])
    assert [s.root for s in result.services] == [""]
    assert "frontend/package.json" in result.services[0].files
    assert [f.location.path for f in result.findings] == ["Dockerfile"]
    # docmost: the root image builds the browser app and a server package of its own, and starts
    # the server; the browser's code is still no server's source (S007 was placed in it).
    (tmp_path / "Dockerfile").write_text('FROM node:22-alpine\nCOPY . .\nUSER node\nCMD ["pnpm", "start"]\n')
    (tmp_path / "server" / "src").mkdir(parents=True)
    (tmp_path / "server" / "package.json").write_text(
        '{"name": "server", "scripts": {"start": "node src/main.js"}, "dependencies": {"express": "4"}}\n'
    )
    (tmp_path / "server" / "src" / "main.js").write_text("require('express')().listen(3000);\n")
    result = scan([tmp_path], Config(), select=["S007"])
    assert [f.location.path for f in result.findings] == ["server/src/main.js"]
    (tmp_path / "frontend" / "Dockerfile").write_text("FROM nginx:1.27\nCOPY dist /usr/share/nginx/html\n")
    assert [s.root for s in scan([tmp_path], Config()).services] == ["", "frontend", "server"]


def test_images_in_base_folders_that_start_nothing_are_no_services(tmp_path: Path) -> None:
    """docker-jitsi-meet: `base/` (s6-overlay's `/init` and nothing to start) and `base-java/` (no
    command) are what its service images build FROM; `jicofo/` is a service. A `database/` folder
    is not a base, and an image in a base folder that starts a program is run."""
    images = {
        "base": 'FROM debian:trixie-slim\nUSER s6\nENTRYPOINT [ "/init" ]\n',
        "base-java": "FROM ghcr.io/jitsi/base:stable\nRUN apt-get install -y openjdk-21-jre-headless\n",
        "jicofo": "FROM ghcr.io/jitsi/base-java:stable\nRUN apt-get install -y jicofo\nUSER s6\n",
        "database": "FROM postgres:17\n",
        "base-proxy": 'FROM nginx:1.27\nENTRYPOINT ["/init"]\nCMD ["nginx", "-g", "daemon off;"]\n',
    }
    for folder, text in images.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "Dockerfile").write_text(text)
    assert [s.root for s in scan([tmp_path], Config()).services] == ["base-proxy", "database", "jicofo"]


def _write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_a_development_mail_catchers_image_is_no_service(tmp_path: Path) -> None:
    """brocoders' nestjs-boilerplate builds MailDev beside its API (`maildev.Dockerfile`: `CMD
    maildev`) to catch the mail of a development environment: no D rule judges it as a service's
    image. The API's own image still is."""
    _write_files(
        tmp_path,
        {
            "maildev.Dockerfile": "FROM node:24.14.1-alpine\nRUN npm i -g maildev@2.0.5\nCMD maildev\n",
            "Dockerfile": 'FROM node:24.14.1-alpine\nCOPY . .\nCMD ["node", "dist/main.js"]\n',
        },
    )
    result = scan([tmp_path], Config(), select=["D001"])
    assert [(f.code, f.location.path) for f in result.findings] == [("D001", "Dockerfile")]


def test_a_pod_that_starts_pm2_runs_the_pm2_file_its_command_names(tmp_path: Path) -> None:
    """A Deployment's container runs `pm2-runtime start ./pm2-processes/production.json` over an
    image whose own command is `node server.js`. The file in a folder named for PM2 is a PM2 file
    of the service beside it, PM2 stops the app with SIGINT (which it handles), and the app's
    60 s kill_timeout is set against the pod's 30 s grace (X004)."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: chat}\nspec:\n  replicas: 3\n"
        "  selector: {matchLabels: {app: chat}}\n  template:\n    metadata: {labels: {app: chat}}\n"
        "    spec:\n      containers:\n        - name: chat\n          image: example/chat:2.4.0\n"
        '          command: ["pm2-runtime"]\n'
        '          args: ["start", "./pm2-processes/production.json", "--only", "chat-1"]\n'
    )
    files = {
        "package.json": '{"name": "chat", "dependencies": {"express": "^4.21.0"}}',
        "server.js": (
            "const app = require('express')();\nconst server = app.listen(3005);\n"
            "process.on('SIGINT', () => server.close());\n"
        ),
        "pm2-processes/production.json": (
            '{"apps": [{"name": "chat-1", "script": "./server.js", "exec_mode": "cluster", "instances": 2, '
            '"kill_timeout": 60000}]}'
        ),
        "Dockerfile": 'FROM node:22-slim\nWORKDIR /app\nCOPY . .\nUSER node\nCMD ["node", "server.js"]\n',
        "k8s/deploy.yaml": deployment,
    }
    _write_files(tmp_path, files)
    result = scan([tmp_path], Config(), select=["S001", "X004"])
    (service,) = result.services
    assert [app.name for app in service.pm2_apps] == ["chat-1"]
    assert [(f.code, f.severity.name, f.location.path, f.location.line) for f in result.findings] == [
        ("X004", "ERROR", "k8s/deploy.yaml", 9),
        ("S001", "WARNING", "server.js", 3),
    ]


def test_desktop_apps_their_artifact_images_and_e2e_suites_are_no_services(tmp_path: Path) -> None:
    """ever-gauzy: `apps/desktop-timer` is an Electron app, and electron-builder packages it from a
    second package.json in its `src/` (`build.appId`); `.deploy/desktop-timer/Dockerfile` builds it
    and ends in a plain Debian stage that only holds the packages; `apps/gauzy-e2e` is a Cypress
    suite. The root's Electron development dependency makes no other package a desktop app, and an
    image on Debian that installs and runs something is a service."""
    files = {
        "package.json": '{"name": "root", "workspaces": ["apps/*"], "devDependencies": {"electron": "38"}}',
        "apps/desktop-timer/package.json": '{"name": "@x/desktop-timer", "devDependencies": {"electron": "38"}}',
        "apps/desktop-timer/src/package.json": '{"name": "timer", "main": "index.js", "build": {"appId": "x.timer"}}',
        "apps/desktop-timer/src/index.ts": "import { app } from 'electron';\napp.whenReady();\n",
        ".deploy/desktop-timer/Dockerfile": (
            "FROM node:22 AS linux\nWORKDIR /src\nCOPY . .\nRUN yarn build:desktop-timer\n"
            "FROM debian:bookworm-slim\nWORKDIR /artifacts\nCOPY --from=linux /src/dist/packages ./linux/\n"
        ),
        "apps/x-e2e/package.json": (
            '{"name": "@x/e2e", "dependencies": {"dayjs": "1"}, "scripts": {"build": "nx build"}}'
        ),
        "apps/x-e2e/src/plugins/index.ts": "export default (on) => on('task', {});\n",
        "apps/api/package.json": (
            '{"name": "@x/api", "scripts": {"start": "node main.js"}, "dependencies": {"express": "4"}}'
        ),
        "apps/api/main.js": "require('express')().listen(3000);\n",
        "worker/Dockerfile": "FROM debian:bookworm-slim\nRUN apt-get install -y cron\nCOPY --from=build /w /w\n",
    }
    _write_files(tmp_path, files)
    result = scan([tmp_path], Config())
    assert [s.root for s in result.services] == ["apps/api", "worker"]
    aside = [f for f in result.findings if f.location.path.startswith((".deploy/", "apps/desktop", "apps/x-e2e"))]
    assert [f.code for f in aside] == ["D012"]  # the build's context still wants a .dockerignore


def test_an_editor_extension_and_an_operator_bundle_are_no_services(tmp_path: Path) -> None:
    """loki: `pkg/logql/internal/logqltest/syntax` is a VS Code extension (`engines.vscode`), which
    the editor loads; `operator/bundle/*/bundle.Dockerfile` is an Operator Lifecycle Manager bundle,
    `FROM scratch` with the bundle's labels and manifests, which OLM reads and nothing runs. Neither
    was to be asked for a runbook or alerts. An image FROM scratch that copies a program and runs it
    is a service."""
    files = {
        "tools/syntax/package.json": (
            '{"name": "logqltest", "engines": {"vscode": "^1.60.0"}, "main": "extension.js",'
            ' "scripts": {"start": "node extension.js"}, "dependencies": {"vscode-languageclient": "9"}}'
        ),
        "tools/syntax/extension.js": "exports.activate = () => {};\n",
        "operator/bundle/community/bundle.Dockerfile": (
            "FROM scratch\n"
            "LABEL operators.operatorframework.io.bundle.mediatype.v1=registry+v1\n"
            "LABEL operators.operatorframework.io.bundle.manifests.v1=manifests/\n"
            "COPY ./manifests /manifests/\nCOPY ./metadata /metadata/\n"
        ),
        "operator/Dockerfile": (
            "FROM golang:1.23 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /manager ./cmd\n"
            "FROM scratch\nCOPY --from=build /manager /manager\nUSER 65532\nENTRYPOINT [\"/manager\"]\n"
        ),
    }
    _write_files(tmp_path, files)
    result = scan([tmp_path], Config())
    assert [s.root for s in result.services] == ["operator"]
    aside = [f for f in result.findings if f.location.path.startswith(("tools/", "operator/bundle/"))]
    assert [f.code for f in aside] == ["D012"]  # the bundle's build context still wants a .dockerignore


def test_a_mobile_app_and_the_image_that_exports_its_package_are_no_services(tmp_path: Path) -> None:
    """The OpenTelemetry demo's `src/react-native-app` is an Expo app (`expo start` serves its bundle
    to phones in development), built by `android.Dockerfile` into an APK that a `FROM scratch` stage
    only carries (its ENTRYPOINT is the APK, which no container starts). It was a service asked for
    a runbook, alerts, load tests and chaos experiments. An image FROM scratch that runs a program
    beside it is still a service."""
    files = {
        "src/react-native-app/package.json": (
            '{"name": "react-native-app", "main": "expo-router/entry", "scripts": {"start": "expo start"},'
            ' "dependencies": {"expo": "~54.0.0", "react": "19.1.0", "react-native": "0.81.4"}}'
        ),
        "src/react-native-app/app/index.tsx": "export default function Home() { return null; }\n",
        "src/react-native-app/android.Dockerfile": (
            "FROM reactnativecommunity/react-native-android:v21.0 AS builder\nWORKDIR /src\nCOPY . .\n"
            "RUN npm ci && npx expo prebuild --platform android && cd android && ./gradlew assembleRelease\n"
            "FROM scratch\nCOPY --from=builder /src/android/app/build/outputs/apk/release/app-release.apk /app.apk\n"
            'ENTRYPOINT ["/app.apk"]\n'
        ),
        "src/checkout/Dockerfile": (
            "FROM golang:1.23 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /checkout .\n"
            'FROM scratch\nCOPY --from=build /checkout /checkout\nUSER 65532\nENTRYPOINT ["/checkout"]\n'
        ),
    }
    _write_files(tmp_path, files)
    result = scan([tmp_path], Config())
    assert [s.root for s in result.services] == ["src/checkout"]
    assert not [f for f in result.findings if f.location.path.startswith("src/react-native-app/") and f.code[0] in "RS"]


def test_an_underscored_test_folder_and_a_workstation_image_are_no_services(tmp_path: Path) -> None:
    """Sentry self-hosted: `_integration-test/nodejs` is a script its integration tests run (the
    underscore keeps the folder apart, as `__tests__` does), and `workstation/*/Dockerfile` builds a
    Google Cloud Workstations image for developers. Both were services asked for runbooks and
    alerts. A Dockerfile on an ordinary base beside them is a service."""
    files = {
        "_integration-test/nodejs/package.json": (
            '{"name": "integration-test-nodejs", "scripts": {"start": "node index.js"},'
            ' "dependencies": {"@sentry/node": "^10.0.0"}}'
        ),
        "_integration-test/nodejs/index.js": "console.log('sent');\n",
        "workstation/postinstall/Dockerfile": (
            "FROM us-west1-docker.pkg.dev/cloud-workstations-images/predefined/base:2025.1\n"
            "COPY 200_download.sh /etc/workstation-startup.d/\n"
        ),
        "relay/Dockerfile": 'FROM getsentry/relay:25.1.0\nUSER 1000\nCMD ["run"]\n',
    }
    _write_files(tmp_path, files)
    result = scan([tmp_path], Config())
    assert [s.root for s in result.services] == ["relay"]
    assert not [f for f in result.findings if not f.location.path.startswith("relay/") and f.code[0] in "RS"]


def test_images_that_deliver_files_to_an_init_container_are_no_services(tmp_path: Path) -> None:
    """OpenTelemetry's operator: its auto-instrumentation images only hold an agent that an init
    container copies into the pod. Java's downloads the agent onto busybox and marks it readable;
    the Apache one copies another stage's build and ends in `CMD ["cat", "Just delivering ..."]`.
    Neither runs anything, so neither is a service. An image on busybox that starts a program
    still is, and so is one that installs packages (what its `cat` prints is not all it holds)."""
    files = {
        "auto/java/Dockerfile": (
            "FROM busybox:1.37\nARG version\n"
            "ADD https://github.com/open-telemetry/opentelemetry-java-instrumentation/releases/download/"
            "v$version/opentelemetry-javaagent.jar /javaagent.jar\nRUN chmod -R go+r /javaagent.jar\n"
        ),
        "auto/httpd/Dockerfile": (
            "FROM alpine:3.21 AS agent\nRUN mkdir -p /opt/agent && touch /opt/agent/sdk.so\n"
            "FROM alpine:3.21\nCOPY --from=agent /opt/agent /opt/opentelemetry\n"
            "RUN chmod 775 -R /opt/opentelemetry/ && mkdir -p /opt/opentelemetry/logs\n"
            'CMD ["cat", "Just delivering the Opentelemetry Apache/Nginx agent"]\n'
        ),
        "probe/Dockerfile": (
            "FROM golang:1.23 AS build\nCOPY . .\nRUN go build -o /probe .\n"
            "FROM busybox:1.37\nCOPY --from=build /probe /probe\nRUN chmod +x /probe\nUSER 65534\n"
            'CMD ["/probe"]\n'
        ),
        "relay/Dockerfile": (
            "FROM alpine:3.21 AS build\nRUN mkdir /out\n"
            "FROM alpine:3.21\nCOPY --from=build /out /out\nRUN apk add --no-cache socat\n"
            'CMD ["cat", "/out/README"]\n'
        ),
    }
    _write_files(tmp_path, files)
    result = scan([tmp_path], Config())
    assert [s.root for s in result.services] == ["probe", "relay"]


def test_a_builder_or_workspace_image_does_not_name_the_runtime(tmp_path: Path) -> None:
    """uptime-kuma: `docker/builder-go.dockerfile` compiles a Go health check, and the multi-target
    `docker/dockerfile` ends in an upload stage on the project's own base image; the service is
    Node, as its debian-base.dockerfile (built FROM node) and package.json say. wekan: a Gitpod
    image on a MongoDB workspace beside a Dockerfile that runs a shell script."""
    (tmp_path / "package.json").write_text('{"name": "kuma", "scripts": {"start": "node server/server.js"}}')
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "server.js").write_text("require('http').createServer().listen(3001);\n")
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "builder-go.dockerfile").write_text("FROM golang:1-buster\nCOPY ./extra/ ./extra/\n")
    (tmp_path / "docker" / "dockerfile").write_text(
        "FROM louislam/uptime-kuma:base2 AS release\nCMD [\"node\", \"server/server.js\"]\n\n"
        "FROM louislam/uptime-kuma:base2 AS upload-artifact\nRUN tar -zcvf dist.tar.gz dist\n"
    )
    (tmp_path / "docker" / "debian-base.dockerfile").write_text("FROM node:22-bookworm-slim AS base2\n")
    (service,) = scan([tmp_path], Config()).services
    assert service.runtime == "node"
    for name in ("builder-go.dockerfile", "dockerfile", "debian-base.dockerfile"):
        (tmp_path / "docker" / name).unlink()
    (tmp_path / ".gitpod.Dockerfile").write_text("FROM gitpod/workspace-mongodb\n")
    (tmp_path / "Dockerfile").write_text('FROM debian:trixie\nCMD ["bash", "/build/entrypoint.sh"]\n')
    (service,) = scan([tmp_path], Config()).services
    assert service.runtime == "node"  # package.json's, not the MongoDB workspace's
    (tmp_path / "Dockerfile").unlink()
    (service,) = scan([tmp_path], Config()).services
    assert service.runtime == "data-store"  # a tool's image is used when it is the only one


def test_pm2_supervising_another_interpreter_does_not_make_the_service_node(tmp_path: Path) -> None:
    """PM2 is a Node.js program, but a Flask app it runs speaks Python: the service's runtime is
    what its apps run, where each one tells; one Node.js app, or one that cannot tell, keeps it Node."""
    image = 'FROM python:3.12-slim\nRUN npm install -g pm2\nCOPY . .\nCMD ["pm2-runtime", "ecosystem.config.js"]\n'
    apps = {
        "python": "{script: 'app.py', interpreter: 'python3'}, {script: 'worker.py'}",
        "native": "{script: './server', interpreter: 'none'}",
        "node": "{script: 'app.py', interpreter: 'python3'}, {script: 'server.js'}",
    }
    node_run_directly = "{script: 'npx', args: 'next start', interpreter: 'none'}"
    for expected, listed in [*apps.items(), ("node", "{script: 'bin/start'}"), ("node", node_run_directly)]:
        (tmp_path / "ecosystem.config.js").write_text(f"module.exports = {{ apps: [{listed}] }};\n")
        (tmp_path / "Dockerfile").write_text(image)
        (service,) = scan([tmp_path], Config()).services
        assert service.runtime == expected, listed
        (tmp_path / "Dockerfile").unlink()
        (service,) = scan([tmp_path], Config()).services  # the ecosystem file alone tells the same
        assert service.runtime == expected, listed


def test_local_modules_vendored_packages_examples_and_release_scripts_are_no_services(tmp_path: Path) -> None:
    """wekan: a fork of meteor-node-stubs the root installs with `file:`, a webpack loader with no
    dependencies, a vendored copy of Font Awesome, a `releases/` folder of migration scripts;
    uptime-kuma: `extra/push-examples/javascript-fetch`, with `"start": "node index.js"`; unkey:
    `web/tools/local`; rallly's `packages/screenshots`, whose only script runs Playwright's tests, and
    documenso's `packages/app-tests`, whose scripts set variables before Playwright or run
    start-server-and-test."""
    (tmp_path / "package.json").write_text(
        '{"name": "wekan", "scripts": {"start": "node main.js"}, "dependencies": {"meteor-node-stubs":'
        ' "file:npm-packages/meteor-node-stubs"}}\n'
    )
    (tmp_path / "main.js").write_text("require('http').createServer().listen(3000);\n")
    packages = {
        "npm-packages/meteor-node-stubs": '{"name": "stubs", "main": "index.js", "dependencies": {"qs": "6"}}',
        "npm-packages/meteor-jade-loader": '{"name": "meteor-jade-loader", "main": "index.js", "private": true}',
        "packages/fontawesome-free": '{"name": "@fortawesome/fontawesome-free", "main": "js/fontawesome.js",'
        ' "style": "css/fontawesome.css", "dependencies": {}}',
        "releases": '{"name": "migration-tools", "scripts": {"migrate": "node migrate.mjs"},'
        ' "dependencies": {"mongodb": "6"}}',
        "extra/push-examples/javascript-fetch": '{"name": "push", "scripts": {"start": "node index.js"}}',
        # unkey's web/tools/local: a command for development setups, in a folder below `tools/`
        "web/tools/local": '{"name": "local", "main": "index.js", "dependencies": {"commander": "12"}}',
        # rallly's packages/screenshots: a test suite that takes screenshots with Playwright
        "packages/screenshots": '{"name": "shots", "scripts": {"capture": "playwright test"},'
        ' "dependencies": {"dayjs": "1"}}',
        # documenso's packages/app-tests: Playwright behind variables, and start-server-and-test
        "packages/app-tests": '{"name": "app-tests", "scripts": {"test:dev": "NODE_OPTIONS='
        "'--import tsx' playwright test\", \"test:e2e\": \"NODE_ENV=test start-server-and-test 'npm start'"
        ' http://localhost:3000 playwright\"}, "dependencies": {"start-server-and-test": "2"}}',
    }
    for folder, manifest in packages.items():
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "package.json").write_text(manifest + "\n")
        (tmp_path / folder / "index.js").write_text("fetch('http://kuma/api/push').then(() => {});\n")
    result = scan([tmp_path], Config())
    assert [s.root for s in result.services] == [""]
    assert {f.location.path for f in result.findings if f.code == "S001"} == {"main.js"}
    # With dependencies of its own and a `start` script, a nested package runs: a service.
    (tmp_path / "npm-packages/meteor-node-stubs/package.json").write_text(
        '{"name": "stubs", "scripts": {"start": "node index.js"}, "dependencies": {"qs": "6"}}\n'
    )
    assert [s.root for s in scan([tmp_path], Config()).services] == ["", "npm-packages/meteor-node-stubs"]


def test_runtime_detection() -> None:
    from relcheck.scan.runtime import image_runtime
    from relcheck.units.images import data_store

    assert [
        image_runtime(i) for i in ("node:20-alpine", "golang:1.22", "eclipse-temurin:21-jre", "python:3.12-slim")
    ] == ["node", "go", "java", "python"]
    assert image_runtime("mcr.microsoft.com/dotnet/aspnet:8.0") == "dotnet"
    assert image_runtime("gcr.io/distroless/static:nonroot") is None and image_runtime("alpine:3.19") is None
    served = ("php:8.3-fpm", "nginx:1.27", "nginxinc/nginx-unprivileged:1.27", "httpd:2.4")
    assert [image_runtime(i) for i in served] == ["php", "web-server", "web-server", "web-server"]
    # Red Hat's images name their version (litmus's web UI: nginx from `ubi10/nginx-126`).
    red_hat = ("registry.access.redhat.com/ubi10/nginx-126:10.1", "ubi9/nodejs-20-minimal", "ubi9/python-311:1-77")
    assert [image_runtime(i) for i in red_hat] == ["web-server", "node", "python"]
    assert image_runtime("acme/nodejs-app:1") is None
    stores = ("mongo:7", "bitnami/postgresql:16", "mongo-express:1", "goharbor/harbor-db:v2.12.0", "acme/db-migrate:1")
    assert [image_runtime(i) for i in stores] == ["data-store", "data-store", None, "data-store", None]
    # K014 names the store: "where harbor-db is set up to replicate", not "where db is".
    assert [data_store(i) for i in stores] == ["mongo", "postgresql", None, "harbor-db", None]
    # KEDA's external scaler for Cosmos DB reads the database's state; it holds none.
    assert data_store("ghcr.io/kedacore/external-scaler-azure-cosmos-db:0.2.0") is None
    assert image_runtime("ghcr.io/chatwoot/pgvector:pg16") == "data-store"  # Postgres with pgvector
    # Vault's server keeps its secrets (replicated only in its HA mode); its agent injector keeps none.
    vault = ("hashicorp/vault:1.19.0", "hashicorp/vault-k8s:1.6.2", "openbao/openbao:2.2.0", "hashicorp/consul:1.20")
    assert [data_store(i) for i in vault] == ["vault", None, "openbao", "consul"]
    # VictoriaMetrics' single-node server is a database; its cluster's insert and select nodes are not.
    assert [image_runtime(i) for i in ("victoriametrics/victoria-metrics:v1.110.0", "victoriametrics/vminsert:v1")] == [
        "data-store", None
    ]


def test_node_rules_stay_off_php_a_bundle_nginx_serves_and_a_static_site() -> None:
    """JavaScript that a PHP app, nginx or http-server serves to browsers, that a static site generator runs at
    build time, that a browser toolchain's development server bundles (`ng serve`, `react-scripts
    start`), that only a test runner's image copies (`Dockerfile.playwright`), that workerd runs (a Cloudflare
    Worker, beside its `wrangler.toml`), or that a database
    image runs in its shell, is not a server: the PHP image, the nginx final stage (after a Node
    build stage), the generator's package.json and the mongo base image name the runtime, and no S
    rule runs."""
    folders = (
        "php-service",
        "spa-on-nginx",
        "astro-site",
        "react-client",
        "mongo-seed",
        "bundle-on-http-server",
        "angular-dev-server",
        "cra-dev-server",
        "webpack-watch-bundle",
        "vite-app-with-test-image",
        "rollup-bundle-on-http-server",
        "cloudflare-worker",
    )
    result = scan([PRECISION / folder for folder in folders], Config())
    assert {s.name: s.runtime for s in result.services} == {
        "php-service": "php",
        "spa-on-nginx": "web-server",
        "astro-site": "static-site",  # Astro without a server adapter writes files
        "react-client": "static-site",  # Create React App: a browser app, its API client included
        "mongo-seed": "data-store",  # its JavaScript is a mongo shell script the image runs at init
        "bundle-on-http-server": "web-server",  # Node runs only http-server over the bundle
        "angular-dev-server": "static-site",  # `ng serve`: the CLI serves the bundle to browsers
        "cra-dev-server": "static-site",  # `npm start` runs `react-scripts start`, the same
        "webpack-watch-bundle": "static-site",  # `npm start` rebuilds a bundle with `webpack --watch`
        "vite-app-with-test-image": "static-site",  # its only image runs Playwright's tests against it
        "rollup-bundle-on-http-server": "static-site",  # `cross-env … rollup -w`, served by http-server
        "cloudflare-worker": "cloudflare-worker",  # wrangler.toml: workerd runs it, under PM2's `wrangler dev` too
    }
    assert not [f for f in result.findings if f.code.startswith("S")]
    with_node = scan([PRECISION / "node-and-react"], Config(), select=["S"])
    assert with_node.findings  # the same rules do run on a Node service


def test_a_load_generators_scenario_code_is_not_the_service() -> None:
    """aws-containers/retail-store-sample-app's `src/load-generator`: an Artillery processor
    (`helpers.js`) that Artillery loads, in an image whose process is Artillery. No SIGTERM handler
    or health endpoint is asked of it."""
    result = scan([PRECISION / "load-generator"], Config(), select=["S"])
    assert not result.findings
    (service,) = result.services
    assert service.app.source_files == []


def test_a_node_script_without_an_extension_is_source() -> None:
    """Express's generator starts the server in `bin/www`, a Node script with a shebang and no
    extension: its SIGTERM handler counts (S001 met), and a shell script beside it is not read."""
    result = scan([PRECISION / "express-generator"], Config(), select=["S001", "E"])
    assert not result.findings
    (service,) = result.services
    assert "bin/www" in service.app.source_files and "bin/release" not in service.app.source_files
    assert service.app.entry == "bin/www"  # what `npm start` runs, not the app.js it requires


def test_the_script_node_runs_is_an_entry_with_or_without_an_extension() -> None:
    from relcheck.artifacts.reach import entry_candidates

    assert entry_candidates(["node ./bin/www"]) == ["bin/www"]
    assert entry_candidates(["NODE_ENV=production node --max-old-space-size=512 dist/main.js"]) == ["dist/main.js"]
    assert entry_candidates(["nodemon server", "npm start"]) == ["server"]


def test_a_script_named_by_its_path_in_the_image_is_found_in_the_repository() -> None:
    """`CMD ["node", "/usr/src/app/aio_run.mjs"]` runs the `aio_run.mjs` the build context copied
    there: the longest tail of the path that is a source file of the service is its entry."""
    from relcheck.artifacts.reach import find_entry

    sources = {"aio_run.mjs": [], "app/main.js": [], "packages/backend/src/main.ts": []}
    assert find_entry("", sources, ["/usr/src/app/aio_run.mjs"]) == "aio_run.mjs"
    assert find_entry("", sources, ["/srv/app/main.js"]) == "app/main.js"
    assert find_entry("", sources, ["/dist/backend/dist/main.js"]) is None
    assert find_entry("", sources, ["aio_run.mjs"]) == "aio_run.mjs"


def test_a_bin_script_that_requires_the_build_reaches_its_source() -> None:
    """parse-server: `node ./bin/parse-server`, which requires `../lib/cli/parse-server` (build
    output); the server is `src/cli/...` and what it imports, where the SIGTERM handler is."""
    from relcheck.artifacts.reach import server_files

    sources = {
        "bin/parse-server": ["../lib/cli/parse-server"],
        "src/cli/parse-server.js": ["./utils/runner"],
        "src/cli/utils/runner.js": [],
        "src/Adapters/Storage/Postgres.js": [],
    }
    assert server_files("", sources, ["bin/parse-server"]) == {
        "bin/parse-server",
        "src/cli/parse-server.js",
        "src/cli/utils/runner.js",
    }


def test_only_the_server_is_service_source() -> None:
    """A Node API beside a React front end (its own package.json), Vite and Renovate configs and a
    browser bundle: S rules judge the API alone."""
    result = scan([PRECISION / "node-and-react"], Config(), select=["S"])
    assert {f.location.path for f in result.findings} == {"api/src/main.js"}
    assert {f.code for f in result.findings} == {"S002", "S004", "S007", "S008"}  # S001 and S003 are met


def test_default_excludes_and_the_inventory(tmp_path: Path) -> None:
    import json
    import subprocess

    from .conftest import relcheck_command

    for folder in ("vendor/lib", "testdata", "cmd/cli/_testdata", "src/__fixtures__", "app"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "Dockerfile").write_text("FROM node:latest\n")
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "Dockerfile").write_text("FROM node:latest\n")

    def run(*args: str) -> dict:
        done = subprocess.run(
            [*relcheck_command(), "scan", str(tmp_path), "-f", "json", "--fail-on", "never", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    report = run()
    assert {f["path"] for f in report["findings"] if f["code"] == "D009"} == {"app/Dockerfile", "extra/Dockerfile"}
    assert report["summary"]["inventory"]["not_checked"] == {"folder excluded by default": 4}
    assert report["summary"]["inventory"]["read"] == {"dockerfile": 2}
    everything = run("--no-default-excludes")
    assert len({f["path"] for f in everything["findings"] if f["code"] == "D009"}) == 6
    (tmp_path / ".relcheck.yaml").write_text("extend-exclude: [extra/]\n")
    assert {f["path"] for f in run()["findings"] if f["code"] == "D009"} == {"app/Dockerfile"}
    (tmp_path / ".relcheck.yaml").write_text("exclude: [extra/]\n")  # replaces the defaults
    assert len({f["path"] for f in run()["findings"] if f["code"] == "D009"}) == 5
    shown = subprocess.run(
        [*relcheck_command(), "scan", str(tmp_path), "--show-settings"], capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0 and "default excludes: (none)" in shown.stdout and "exclude: extra/" in shown.stdout


_ASSERTED_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: pooler
status:
  readyReplicas: 1
"""


def test_end_to_end_test_cases_are_left_out_with_the_default_excludes(tmp_path: Path) -> None:
    """A Chainsaw test (chainsaw-test.yaml) and a KUTTL test case (00-assert.yaml) hold objects for a
    throwaway test cluster and partial objects to compare with it: not the service's manifests.
    Folders named on the command line, and scans without the default excludes, still read them."""
    chainsaw = tmp_path / "charts/cluster/chainsaw/pooler"
    kuttl = tmp_path / "kuttl/install"
    for folder in (chainsaw, kuttl):
        folder.mkdir(parents=True)
    (chainsaw / "chainsaw-test.yaml").write_text("apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\n")
    (chainsaw / "01-pooler-assert.yaml").write_text(_ASSERTED_DEPLOYMENT)
    (kuttl / "00-assert.yaml").write_text(_ASSERTED_DEPLOYMENT)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/api.yaml").write_text(_ASSERTED_DEPLOYMENT.replace("pooler", "api"))

    result = scan([tmp_path], Config(), select=["K014"])
    assert [f.location.path for f in result.findings] == ["deploy/api.yaml"]
    assert sorted(result.excluded_by_default) == ["charts/cluster/chainsaw/pooler", "kuttl/install"]
    named = scan([kuttl], Config(), select=["K014"])
    assert [f.location.path for f in named.findings] == ["00-assert.yaml"]
    everything = scan([tmp_path], Config(default_excludes=False), select=["K014"])
    assert len(everything.findings) == 3


@pytest.mark.parametrize(
    "site_files",
    [
        ("hugo.toml",),  # kueue's `site/`
        ("config.toml", "content/_index.md", "layouts/index.html"),  # metallb's `website/`, older Hugo
        ("config.yaml", "content/_index.md", "themes/contour/theme.toml"),  # contour's `site/`
        ("docusaurus.config.js",),
    ],
)
def test_a_documentation_websites_examples_are_left_out_with_the_default_excludes(
    tmp_path: Path, site_files: tuple[str, ...]
) -> None:
    """kueue's Hugo site keeps its examples under `site/static/examples/`, one copy per documented
    version: manifests for readers, left out as `docs/` is, and walked for evidence (a runbook there
    still counts). A folder named on the command line is still read."""
    site = tmp_path / "site"
    for name in site_files:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("title = 'docs'\n")
    (site / "static/examples").mkdir(parents=True)
    (site / "static/examples/job.yaml").write_text(_ASSERTED_DEPLOYMENT)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/api.yaml").write_text(_ASSERTED_DEPLOYMENT.replace("pooler", "api"))

    result = scan([tmp_path], Config(), select=["K014"])
    assert [f.location.path for f in result.findings] == ["deploy/api.yaml"]
    assert result.excluded_by_default == ["site"]
    assert [f.location.path for f in scan([site], Config(), select=["K014"]).findings] == ["static/examples/job.yaml"]
    assert len(scan([tmp_path], Config(default_excludes=False), select=["K014"]).findings) == 2
    (site / "content").mkdir(exist_ok=True)
    (site / "content/runbook.md").write_text("# Runbook\n")
    assert not scan([tmp_path], Config(), select=["R001"]).findings


def test_what_ci_and_development_tooling_apply_is_left_out_with_the_default_excludes(tmp_path: Path) -> None:
    """A kind cluster's Redis under `.github/`, deliberately broken pods under `hack/`, a
    library's expected test output under `golden/` or `__snapshot__/`, the pods a Go package's test
    doubles read under `fake/` (linkerd's proxy injector), what end-to-end tests
    deploy under `e2e/`, and what a test suite applies or compares with under `test/` and `tests/`
    (kube-state-metrics' test manifests, Datadog's chart baselines) are not the service's manifests.
    Test folders are still read for the repository rules' evidence: load tests and chaos
    experiments live there (ingress-nginx's `test/k6/`)."""
    folders = (".github/configs", "hack/test-resources", "lib/tests/golden", "e2e/kind", "test/baseline")
    folders += ("injector/fake/data", "query/fixture", "watcherx/integrationtest")
    for folder in (*folders, "deploy"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "app.yaml").write_text(_ASSERTED_DEPLOYMENT)
    (tmp_path / "test" / "k6").mkdir()
    load_test = "import http from 'k6/http';\nexport default () => http.get('/');\n"
    (tmp_path / "test" / "k6" / "load.js").write_text(load_test)
    (tmp_path / "test" / "chaos").mkdir()
    experiment = "apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: kill-api}\n"
    (tmp_path / "test" / "chaos" / "pod-kill.yaml").write_text(experiment)
    result = scan([tmp_path], Config(), select=["K014", "R004", "R005"])
    assert [f.location.path for f in result.findings] == ["deploy/app.yaml"]
    excluded = [".github", "e2e", "hack", "injector/fake", "lib/tests", "query/fixture", "test"]
    excluded.append("watcherx/integrationtest")
    assert sorted(result.excluded_by_default) == excluded
    without = scan([tmp_path], Config(default_excludes=False), select=["K014"])
    assert len(without.findings) == len(folders) + 1


def test_superseded_hotfix_releases_are_left_out_with_the_default_excludes(tmp_path: Path) -> None:
    """overleaf's `server-ce/hotfix/`: one folder per release it patched, each a Dockerfile FROM the
    release before it (73 services, 740 findings). Only the newest is what an install runs now;
    a folder not named for a release is kept, and `--no-default-excludes` reads them all."""
    hotfix = tmp_path / "server-ce" / "hotfix"
    for release in ("5.0.2", "5.5.1", "5.10.0", "latest"):
        (hotfix / release).mkdir(parents=True)
        (hotfix / release / "Dockerfile").write_text(f"FROM sharelatex/sharelatex:{release}\nRUN true\n")
    result = scan([tmp_path], Config(), select=["D001"])
    assert sorted(f.location.path for f in result.findings) == [
        "server-ce/hotfix/5.10.0/Dockerfile",
        "server-ce/hotfix/latest/Dockerfile",
    ]
    assert sorted(result.excluded_by_default) == ["server-ce/hotfix/5.0.2", "server-ce/hotfix/5.5.1"]
    assert len(scan([tmp_path], Config(default_excludes=False), select=["D001"]).findings) == 4


def test_older_release_manifests_are_left_out_with_the_default_excludes(tmp_path: Path) -> None:
    """cloudnative-pg's `releases/`: one manifest per release, from cnpg-1.15.0.yaml to
    cnpg-1.30.0.yaml (215 of its 230 findings). Only the newest of a name is what an install
    applies now (a release candidate is older than its release); a file not named for a release is
    kept, and `--no-default-excludes` reads them all."""
    from relcheck.reporters.inventory import inventory, inventory_line

    releases = tmp_path / "releases"
    releases.mkdir()
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: cnpg}}\nspec:\n  replicas: 1\n"
        "  selector: {{matchLabels: {{app: cnpg}}}}\n  template:\n    metadata: {{labels: {{app: cnpg}}}}\n"
        "    spec:\n      containers: [{{name: manager, image: 'cnpg:{0}'}}]\n"
    )
    names = ("cnpg-1.9.0.yaml", "cnpg-1.15.0.yaml", "cnpg-1.30.0-rc1.yaml", "cnpg-1.30.0.yaml", "operator.yaml")
    for name in names:
        (releases / name).write_text(deployment.format(name))
    result = scan([tmp_path], Config(), select=["K014"])
    assert sorted(f.location.path for f in result.findings) == ["releases/cnpg-1.30.0.yaml", "releases/operator.yaml"]
    assert sorted(result.excluded_by_default) == [
        "releases/cnpg-1.15.0.yaml", "releases/cnpg-1.30.0-rc1.yaml", "releases/cnpg-1.9.0.yaml"
    ]
    assert inventory(result)["not_checked"] == {"older release manifest (the newest is read)": 3}
    assert "Not checked: 3 older release manifests (the newest is read)." in inventory_line(result)
    assert len(scan([tmp_path], Config(default_excludes=False), select=["K014"]).findings) == 5


def test_design_documents_and_archived_examples_are_left_out_with_the_default_excludes(tmp_path: Path) -> None:
    """crossplane's and velero's `design/` (proposals, a proof of concept's manifests) and
    kubernetes/examples' `_archived/` (retired examples whose objects the API no longer takes) are
    not what the repository deploys; `--no-default-excludes` reads them."""
    folders = ("design/CLI/PoC/base", "_archived/openshift-origin", "archived/v1")
    for folder in (*folders, "deploy"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "app.yaml").write_text(_ASSERTED_DEPLOYMENT)
    result = scan([tmp_path], Config(), select=["K014"])
    assert [f.location.path for f in result.findings] == ["deploy/app.yaml"]
    assert sorted(result.excluded_by_default) == ["_archived", "archived", "design"]
    assert len(scan([tmp_path], Config(default_excludes=False), select=["K014"]).findings) == len(folders) + 1


def test_documentation_folders_are_left_out_with_the_default_excludes(tmp_path: Path) -> None:
    """haproxy's `documentation/` holds its annotation reference and tutorial manifests (an echo
    server without probes), as `docs/` and `doc/` do elsewhere: examples for readers. A runbook
    there is still the repository's evidence."""
    for folder in ("documentation/tcp-cr-full-example", "docs", "deploy"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "app.yaml").write_text(_ASSERTED_DEPLOYMENT)
    (tmp_path / "documentation" / "RUNBOOK.md").write_text("# Runbook\n")
    result = scan([tmp_path], Config(), select=["K014", "R001"])
    assert [(f.code, f.location.path) for f in result.findings] == [("K014", "deploy/app.yaml")]
    assert sorted(result.excluded_by_default) == ["docs", "documentation"]


def test_end_to_end_and_integration_test_folders_are_left_out_with_the_default_excludes(tmp_path: Path) -> None:
    """headlamp's `e2e-tests/` deploys `:latest` images to a CI cluster, and logto's
    `packages/integration-tests` and airbyte's `integration_tests/` are test suites: none is what
    the repository deploys. A folder that only starts with those words is read."""
    folders = ("e2e-tests", "app/e2e_tests", "packages/integration-tests", "charts/integration_tests")
    for folder in (*folders, "deploy/e2e-tests-runner"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "app.yaml").write_text(_ASSERTED_DEPLOYMENT)
    result = scan([tmp_path], Config(), select=["K014"])
    assert [f.location.path for f in result.findings] == ["deploy/e2e-tests-runner/app.yaml"]
    assert sorted(result.excluded_by_default) == sorted(folders)
    assert len(scan([tmp_path], Config(default_excludes=False), select=["K014"]).findings) == len(folders) + 1


def test_conformance_suites_are_left_out_with_the_default_excludes(tmp_path: Path) -> None:
    """gateway-api's `conformance/base/manifests.yaml` holds the backends its conformance tests
    route to, and PostHog's `ci/kubetest/` the stores its chart tests install beside the chart: a
    test cluster's objects, not what the repository deploys. A folder that only ends in the word is read."""
    folders = ("conformance/base", "ci/kubetest")
    for folder in (*folders, "deploy/gateway-conformance"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "app.yaml").write_text(_ASSERTED_DEPLOYMENT)
    result = scan([tmp_path], Config(), select=["K014"])
    assert [f.location.path for f in result.findings] == ["deploy/gateway-conformance/app.yaml"]
    assert sorted(result.excluded_by_default) == ["ci/kubetest", "conformance"]
    assert len(scan([tmp_path], Config(default_excludes=False), select=["K014"]).findings) == len(folders) + 1


def test_jest_and_jasmine_test_folders_are_not_the_service(tmp_path: Path) -> None:
    """A SIGTERM handler in a Jest test under `__tests__/` is not the service's, and parse-server's
    mock adapters under Jasmine's `spec/dependencies/` (each with a package.json) are no services."""
    (tmp_path / "package.json").write_text('{"name": "api", "dependencies": {"express": "^4.0.0"}}')
    (tmp_path / "server.js").write_text("require('express')().listen(3000);\n")
    (tmp_path / "__tests__").mkdir()
    (tmp_path / "__tests__/shutdown.js").write_text("process.on('SIGTERM', () => process.exit(0));\n")
    mock = tmp_path / "spec/dependencies/mock-mail-adapter"
    mock.mkdir(parents=True)
    (mock / "package.json").write_text(
        '{"name": "mock-mail-adapter", "main": "index.js", "dependencies": {"nodemailer": "6"}}'
    )
    (mock / "index.js").write_text("module.exports = { sendMail() {} };\n")
    result = scan([tmp_path], Config(), select=["S001", "R001"])
    assert sorted((f.code, f.location.path) for f in result.findings) == [
        ("R001", "package.json"),
        ("S001", "server.js"),
    ]
    assert result.excluded_by_default == ["__tests__", "spec"]
    everything = scan([tmp_path], Config(default_excludes=False), select=["S001", "R001"])
    assert ("R001", "spec/dependencies/mock-mail-adapter/package.json") in {
        (f.code, f.location.path) for f in everything.findings
    }


def test_documentation_folders_are_evidence_only(tmp_path: Path) -> None:
    """A tutorial's manifest under `docs/` is not what the service deploys (external-secrets'
    `docs/snippets/`, elided with `...`; ingress-nginx's `docs/examples/`), but a runbook there
    is the service's runbook."""
    (tmp_path / "docs/snippets").mkdir(parents=True)
    (tmp_path / "docs/snippets/proxy.yaml").write_text(_ASSERTED_DEPLOYMENT)
    elided = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  env:\n  - name: A\n  ...\n"
    (tmp_path / "docs/snippets/elided.yaml").write_text(elided)
    (tmp_path / "docs/runbooks").mkdir()
    (tmp_path / "docs/runbooks/api.md").write_text("# API down\n")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/app.yaml").write_text(_ASSERTED_DEPLOYMENT)
    (tmp_path / "Dockerfile").write_text("FROM node:20-alpine\n")
    result = scan([tmp_path], Config(), select=["E", "K014", "R001"])
    assert [(f.code, f.location.path) for f in result.findings] == [("K014", "deploy/app.yaml")]
    assert result.excluded_by_default == ["docs"]
    (tmp_path / "docs/runbooks/api.md").unlink()
    no_runbook = scan([tmp_path], Config(), select=["R001"])
    assert [f.code for f in no_runbook.findings] == ["R001"]
    (tmp_path / "docs/runbooks/api.md").write_text("# API down\n")
    without = scan([tmp_path], Config(default_excludes=False), select=["E", "K014", "R001"])
    assert sorted((f.code, f.location.path) for f in without.findings) == [
        ("E001", "docs/snippets/elided.yaml"),
        ("K014", "deploy/app.yaml"),
        ("K014", "docs/snippets/proxy.yaml"),
    ]


def test_yarns_own_folder_is_left_out_with_the_default_excludes(tmp_path: Path) -> None:
    """Yarn's release (`.yarn/releases/yarn-4.11.0.cjs`, one minified line) and plugins are the
    package manager's, not the service's: not read, not reported as skipped."""
    (tmp_path / ".yarn/releases").mkdir(parents=True)
    (tmp_path / ".yarn/releases/yarn-4.11.0.cjs").write_text("var a=" + "1+" * 4000 + "1;\n")
    (tmp_path / "package.json").write_text('{"name": "api", "dependencies": {"express": "^4.0.0"}}')
    (tmp_path / "server.js").write_text("process.on('SIGTERM', () => process.exit(0));\n")
    result = scan([tmp_path], Config(), select=["E"])
    assert not result.findings
    assert result.excluded_by_default == [".yarn"]
    everything = scan([tmp_path], Config(default_excludes=False), select=["E"])
    assert [(f.code, f.location.path) for f in everything.findings] == [("E002", ".yarn/releases/yarn-4.11.0.cjs")]


def test_git_semantics_for_ignored_paths(tmp_path: Path) -> None:
    """A file git tracks is scanned though a .gitignore pattern matches it; a folder named on the
    command line is scanned though .gitignore leaves it out."""
    import shutil
    import subprocess

    import pytest

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    (repo / "build").mkdir()
    (repo / ".gitignore").write_text("deploy/\nbuild/\n")
    (repo / "deploy" / "Dockerfile").write_text("FROM node:latest\n")  # tracked, although ignored
    (repo / "deploy" / "pod.yaml").write_text(  # a tracked manifest, although ignored
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: 'app:latest'}]\n"
    )
    (repo / "deploy" / "local.Dockerfile").write_text("FROM node:latest\n")  # ignored and untracked
    (repo / "build" / "Dockerfile").write_text("FROM node:latest\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-f", ".gitignore", "deploy/Dockerfile", "deploy/pod.yaml"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)

    found = {(f.location.path, f.code) for f in scan([repo], Config(), select=["D009", "K019"]).findings}
    assert found == {("deploy/Dockerfile", "D009"), ("deploy/pod.yaml", "K019")}
    named = scan([repo / "build"], Config(), select=["D009"])
    assert {f.location.path for f in named.findings} == {"Dockerfile"}


def test_a_scan_that_finds_nothing_it_checks_says_so(tmp_path: Path) -> None:
    """dotnet/eShop is a .NET Aspire app: its app host describes the services, `azd` deploys them,
    and relcheck reads only some settings and source there. "No problems found" was all it said;
    a note on stderr now says that nothing it checks was found, and the inventory names the app
    host as not read. A repository with a service gets no such note."""
    import subprocess

    from .conftest import relcheck_command

    (tmp_path / "src" / "Shop.AppHost").mkdir(parents=True)
    (tmp_path / "src" / "Shop.AppHost" / "Shop.AppHost.csproj").write_text(
        '<Project Sdk="Microsoft.NET.Sdk"><Sdk Name="Aspire.AppHost.Sdk" Version="9.1.0" /></Project>\n'
    )
    (tmp_path / "src" / "WebApp" / "wwwroot").mkdir(parents=True)
    (tmp_path / "src" / "WebApp" / "package.json").write_text('{"name": "webapp", "devDependencies": {"sass": "1"}}\n')
    (tmp_path / "src" / "WebApp" / "wwwroot" / "site.js").write_text("document.title = 'Shop';\n")
    done = subprocess.run(
        [*relcheck_command(), "scan", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert "no service, Dockerfile, Kubernetes manifest, PM2 file or rule file was found" in done.stderr
    assert "Not checked: 1 .NET Aspire app host (not read)" in done.stdout
    (tmp_path / "src" / "Shop.AppHost" / "Dockerfile").write_text(
        'FROM mcr.microsoft.com/dotnet/aspnet:9.0\nUSER app\nENTRYPOINT ["dotnet", "Shop.dll"]\n'
    )
    done = subprocess.run(
        [*relcheck_command(), "scan", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert "was found" not in done.stderr


def test_an_empty_scan_is_never_silent(tmp_path: Path) -> None:
    import subprocess

    from .conftest import relcheck_command

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [*relcheck_command(), "scan", *args], input=stdin, capture_output=True, text=True, timeout=60
        )

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# notes\n")
    done = run(str(tmp_path / "docs"))
    assert done.returncode == 0 and done.stderr.startswith("relcheck: note: no file relcheck reads under")
    done = run(str(tmp_path / "docs" / "README.md"))
    assert done.returncode == 2 and "is not a file relcheck reads" in done.stderr
    done = run("-", stdin="hello: world\n")
    assert done.stderr == "relcheck: note: the input read from stdin holds no Kubernetes object\n"
    # A piped Dockerfile reported under its real path.
    done = run("-", "--stdin-filename", "services/api/Dockerfile", "-f", "json", stdin="FROM node:latest\n")
    import json

    paths = {f["path"] for f in json.loads(done.stdout)["findings"] if f["code"].startswith("D")}
    assert paths == {"services/api/Dockerfile"}


def test_fix_hints_never_recommend_node_to_a_go_service() -> None:
    result = scan([PRECISION / "go-service"], Config(), select=["D"])
    assert result.findings
    for finding in result.findings:
        assert "node" not in finding.fix.lower() and "npm" not in finding.fix.lower(), (finding.code, finding.fix)


def test_the_server_is_what_its_entry_point_reaches() -> None:
    from relcheck.artifacts.reach import entry_candidates, server_files

    sources = {
        "api/src/main.ts": ["./app.module"],
        "api/src/app.module.ts": ["../shared/health"],
        "api/src/users/users.service.ts": [],  # reached by DI, not by an import: kept (entry's folder)
        "api/shared/health.ts": [],
        "api/web/jquery-widgets.js": [],
        "api/seed/load-fixtures.js": [],
    }
    entries = entry_candidates(["node dist/main.js", "dist/main.js"])
    assert entries == ["dist/main.js"]  # named twice, tried once
    assert server_files("api", sources, entries) == {
        "api/src/main.ts",
        "api/src/app.module.ts",
        "api/src/users/users.service.ts",
        "api/shared/health.ts",
    }
    assert server_files("api", sources, ["server.js"]) is None  # no such entry: every file counts


def test_a_service_deployed_by_several_workloads_is_named_after_the_one_named_like_its_image(tmp_path: Path) -> None:
    """A demo runs its one image as `backend`, `frontend` and `podinfo`: the service is `podinfo`,
    not the first name in the alphabet."""
    root = tmp_path / "podinfo"
    (root / "deploy").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM golang:1.22\nUSER 1000\nCMD [\"/podinfo\"]\n")
    for name in ("backend", "frontend", "podinfo"):
        (root / "deploy" / f"{name}.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
            f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
            "    spec:\n      containers: [{name: app, image: 'ghcr.io/example/podinfo:6.7.0'}]\n"
        )
    (service,) = scan([root], Config()).services
    assert service.name == "podinfo"
    # None named like it (gatekeeper runs its image as `gatekeeper-audit` and
    # `gatekeeper-controller-manager`): the service is named after the image, not the first of them.
    (root / "deploy" / "podinfo.yaml").unlink()
    (service,) = scan([root], Config()).services
    assert service.name == "podinfo"
    # One workload runs it: the service is named after that workload.
    (root / "deploy" / "frontend.yaml").unlink()
    (service,) = scan([root], Config()).services
    assert service.name == "backend"


def test_services_are_named_after_what_deploys_them_and_unowned_objects_stay_unowned() -> None:
    """Dockerfiles in src/<svc>/src/, a package named unlike its folder, a proto tool image, and a
    shared deploy/ folder with a Deployment of no service (redis-cart)."""
    from relcheck.checklist.score import build

    result = scan([PRECISION / "shop"], Config())
    assert [(s.name, s.root, s.runtime) for s in result.services] == [
        ("cartservice", "src/cartservice/src", "dotnet"),
        ("currencyservice", "src/currencyservice", "node"),
        ("frontend", "src/frontend", "go"),
    ]
    assert result.unowned_objects == ["Deployment/default/redis-cart"]
    cards = {card.service.name: card for card in build(result)}
    assert list(cards) == ["cartservice", "currencyservice", "frontend", "(unowned)"]
    unowned = [f for item in cards["(unowned)"].items for f in item.findings]
    assert {f.location.path for f in unowned} == {"deploy/kubernetes-manifests.yaml", "protos/Dockerfile"}
    unowned_lines = {f.location.line for f in unowned if f.location.path.startswith("deploy/")}
    redis_start = (
        (PRECISION / "shop" / "deploy" / "kubernetes-manifests.yaml")
        .read_text()
        .splitlines()
        .index("metadata: {name: redis-cart}")
    )
    assert unowned_lines and min(unowned_lines) >= redis_start
    for name in ("cartservice", "currencyservice", "frontend"):
        lines = {f.location.line for item in cards[name].items for f in item.findings if "deploy/" in f.location.path}
        assert all(line < redis_start for line in lines), name


@pytest.mark.parametrize(
    ("path", "tool"),
    [
        ("src/checkout/genproto/Dockerfile", True),
        ("test/telemetry/Dockerfile", True),
        ("src/frontend/Dockerfile.cypress", True),
        ("e2e.Dockerfile", True),
        ("services/api/Dockerfile.test", True),
        ("src/attestation/Dockerfile", False),
        ("src/latest/Dockerfile", False),
        ("Dockerfile.prod", False),
        ("contest/Dockerfile", False),
        (".github/actions/mkdocs/Dockerfile", True),  # a container action of CI
        ("images/e2e-test-echo/rootfs/Dockerfile", True),
        ("images/test-runner/rootfs/Dockerfile", True),
        ("images/latest-news/Dockerfile", False),
        ("docker/builder-go.dockerfile", True),  # a build image other Dockerfiles start FROM
        ("Dockerfile.build", True),
        ("docker/BuildHealthCheck.Dockerfile", True),  # dockge's: CamelCase words, "Build" first
        ("docker/MyApp.Dockerfile", False),
        ("services/site-builder/Dockerfile", False),  # a folder's name says nothing of the image
        ("rebuild.Dockerfile", False),
        ("benchmark/koa-database/Dockerfile", True),  # a server to measure against
        ("Dockerfile.integration", True),  # logto's integration tests' image
        ("services/integration/Dockerfile", False),  # a service that integrates with something
        ("tools/openapi2jsonschema/Dockerfile", True),  # airbyte's: a developer runs it
        ("tools/site/link_checker.Dockerfile", True),
        ("packages/e2e-tests/Dockerfile", True),
        ("scripts/dockerfiles/nginx/Dockerfile", False),  # openreplay's production images
        ("services/toolset/Dockerfile", False),
        ("Dockerfile.debug", True),  # unleash-edge's: the service with curl and jq, to debug
        ("services/web/Dockerfile.frontend.ci", True),  # overleaf's: CI runs the front end's tests in it
        ("Dockerfile.cilium", False),
        ("debugger/Dockerfile", False),
        ("images/build-env/Dockerfile", True),  # chaos-mesh's toolchains, which `make` builds in
        ("images/dev-env/Dockerfile", True),
        ("ops/docker/ci-builder/Dockerfile", True),  # optimism's: its CI jobs run their steps in it
        ("services/ci-dashboard/Dockerfile", False),
        ("services/envoy/Dockerfile", False),
        ("deploy/env/Dockerfile", False),
        ("helpers/helm-tester/Dockerfile", True),  # elastic's helm-charts: runs the charts' tests
        ("_integration-test/nodejs/Dockerfile", True),  # Sentry self-hosted's, kept apart by its underscore
        ("services/testimonials/Dockerfile", False),
        ("svc/heimdall/internal/network/bpf/Dockerfile.gen", True),  # unkey's: the toolchain `generate-bpf` runs in
        ("Dockerfile.codegen", True),
        ("generate.Dockerfile", True),
        ("services/generator/Dockerfile", False),
        ("Dockerfile.genesis", False),
    ],
)
def test_images_of_tools_and_test_suites_are_told_from_services(path: str, tool: bool) -> None:
    from relcheck.artifacts.dockerfile import is_tool_image

    assert is_tool_image(path) is tool


@pytest.mark.parametrize(
    ("base", "severity"),
    [
        ("node:20-slim", "error"),  # Docker's official images run as root
        ("docker.io/library/python:3.12-slim", "error"),
        ("scratch", "error"),
        ("grafana/k6:0.52.0", "warning"),  # another publisher's image may set its own user
        ("docker.io/bitnami/nginx:1.27", "warning"),
        ("registry.example:5000/base:1.0", "warning"),
        ("${BASE_IMAGE}", "warning"),
        ("BASEIMAGE", "warning"),  # a placeholder a Makefile's sed fills in (no reference is uppercase)
        ("Node:20-slim", "warning"),
    ],
)
def test_d001_is_an_error_only_where_root_is_known(tmp_path: Path, base: str, severity: str) -> None:
    (tmp_path / "Dockerfile").write_text(f"ARG BASE_IMAGE\nFROM {base}\nCOPY app /app\nENTRYPOINT [\"/app\"]\n")
    found = [f for f in scan([tmp_path], Config(), select=["D001"]).findings if f.code == "D001"]
    assert [f.severity.label for f in found] == [severity]


def test_a_softer_d001_never_raises_a_configured_severity(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM grafana/k6:0.52.0\nENTRYPOINT [\"k6\"]\n")
    found = scan([tmp_path], Config(severity={"D001": "info"}), select=["D001"]).findings
    assert [f.severity.label for f in found if f.code == "D001"] == ["info"]


@pytest.mark.parametrize(
    ("security", "severity"),
    [
        ("      securityContext: {runAsUser: 1000}\n", "info"),  # the pod's UID replaces the image's user
        ("      securityContext: {runAsNonRoot: true}\n", "error"),  # the kubelet refuses a root image
        ("      securityContext: {runAsUser: 0}\n", "error"),
        ("", "error"),
    ],
)
def test_d001_weighs_the_user_kubernetes_runs_the_image_as(tmp_path: Path, security: str, severity: str) -> None:
    service = tmp_path / "cart"
    service.mkdir()
    (service / "Dockerfile").write_text('FROM node:20-alpine\nCMD ["node", "server.js"]\n')
    (service / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\nspec:\n  replicas: 3\n"
        "  selector:\n    matchLabels: {app: cart}\n  template:\n    metadata:\n      labels: {app: cart}\n"
        f"    spec:\n{security}      containers:\n        - name: server\n"
        "          image: registry.example.com/cart:1.0\n"
    )
    found = [f for f in scan([tmp_path], Config(), select=["D001"]).findings if f.code == "D001"]
    assert [f.severity.label for f in found] == [severity]
    related = [r.location.path for f in found for r in f.related]
    assert related == (["cart/deployment.yaml"] if severity == "info" else [])


def test_a_document_with_template_markers_is_skipped_where_it_is_and_the_others_are_checked(tmp_path: Path) -> None:
    """A Deployment, then a Secret with a `{{HF_TOKEN}}` placeholder (not YAML): the Deployment is
    checked, and the skip is an info at the Secret's line, not a whole file 'not checked'."""
    (tmp_path / "llama.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: llama}\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: llama}}\n  template:\n    metadata: {labels: {app: llama}}\n"
        "    spec:\n      containers: [{name: server, image: 'vllm/vllm-openai:v0.10.0'}]\n"
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: hf-secret}\nstringData:\n"
        "  hf_api_token: {{HF_TOKEN}}\n"
    )
    from relcheck.reporters.inventory import inventory

    result = scan([tmp_path], Config(), select=["E", "K014"])
    assert sorted((f.code, f.location.line) for f in result.findings) == [("E002", 16), ("K014", 5)]
    assert "the file's other documents were" in next(f.message for f in result.findings if f.code == "E002")
    assert "template (not Helm)" not in inventory(result)["not_checked"]


def test_a_benchmarks_server_is_no_service(tmp_path: Path) -> None:
    """nocobase's `benchmark/koa-database` is a Koa app the framework is measured against, started
    by hand: not a service asked for SIGTERM handling, health routes and metrics."""
    bench = tmp_path / "benchmark" / "koa-database"
    bench.mkdir(parents=True)
    (bench / "package.json").write_text('{"name": "koa-database", "scripts": {"start": "node index.js"}}')
    (bench / "index.js").write_text("const Koa = require('koa');\nnew Koa().listen(3000);\n")
    (tmp_path / "package.json").write_text('{"name": "api", "dependencies": {"express": "^4.0.0"}}')
    (tmp_path / "server.js").write_text("require('express')().listen(3000);\n")
    result = scan([tmp_path], Config(), select=["S001"])
    assert [(f.code, f.location.path) for f in result.findings] == [("S001", "server.js")]
    assert [s.root for s in result.services] == [""]


def test_a_workspace_root_that_runs_a_packages_command_runs_none_of_its_own_code(tmp_path: Path) -> None:
    """nocobase's root image runs `yarn start`, which is `nocobase-v1 start`, a command of one of its
    workspace packages: the root's own files (a sync script, a benchmark's Koa app) are no server
    to ask for SIGTERM handling. A root whose start script runs a file of its own is judged."""
    (tmp_path / "package.json").write_text(
        '{"name": "root", "private": true, "workspaces": ["packages/*"], "scripts": {"start": "nocobase-v1 start"}}'
    )
    (tmp_path / "Dockerfile").write_text('FROM node:22-slim\nWORKDIR /app\nCOPY . .\nCMD ["yarn", "start"]\n')
    (tmp_path / "cnpm-sync.js").write_text("require('child_process').execSync('cnpm sync');\n")
    (tmp_path / "benchmark" / "koa").mkdir(parents=True)
    (tmp_path / "benchmark" / "koa" / "index.js").write_text("const Koa = require('koa');\nnew Koa().listen(3000);\n")
    assert scan([tmp_path], Config(), select=["S001", "S002"]).findings == []
    (tmp_path / "package.json").write_text(
        '{"name": "root", "private": true, "workspaces": ["packages/*"], "scripts": {"start": "node cnpm-sync.js"}}'
    )
    judged = scan([tmp_path], Config(), select=["S001"]).findings
    assert [(f.code, f.location.path) for f in judged] == [("S001", "cnpm-sync.js")]
    # hoppscotch's image runs its root script by its path in the image: that is the root's own code.
    (tmp_path / "package.json").write_text('{"name": "root", "private": true, "workspaces": ["packages/*"]}')
    (tmp_path / "Dockerfile").write_text(
        'FROM node:22-slim\nCOPY cnpm-sync.js /usr/src/app/cnpm-sync.js\nCMD ["node", "/usr/src/app/cnpm-sync.js"]\n'
    )
    judged = scan([tmp_path], Config(), select=["S001"]).findings
    assert [(f.code, f.location.path) for f in judged] == [("S001", "cnpm-sync.js")]


def test_a_test_suite_image_is_no_service_of_its_own(tmp_path: Path) -> None:
    """`result/tests/Dockerfile` builds the result service's test runner: it belongs to `result`,
    and no service named `tests` is asked for a runbook or alerts."""
    (tmp_path / "result" / "tests").mkdir(parents=True)
    (tmp_path / "result" / "Dockerfile").write_text('FROM node:20-slim\nUSER node\nCMD ["node", "server.js"]\n')
    (tmp_path / "result" / "tests" / "Dockerfile").write_text('FROM node:20-slim\nCMD ["npm", "test"]\n')
    result = scan([tmp_path], Config())
    assert [(s.name, s.root) for s in result.services] == [("result", "result")]
    assert not [f for f in result.findings if "'tests'" in f.message]


def test_images_built_from_rootfs_folders_and_ci_actions(tmp_path: Path) -> None:
    """`images/<name>/rootfs/Dockerfile` (the Kubernetes projects' layout) is named after <name>;
    a container action or JavaScript action under .github/ is no service."""
    for folder in ("images/nginx/rootfs", "images/test-runner/rootfs", ".github/actions/docs", ".github/actions/label"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "images/nginx/rootfs/Dockerfile").write_text('FROM nginx:1.27\nCMD ["nginx"]\n')
    (tmp_path / "images/test-runner/rootfs/Dockerfile").write_text('FROM golang:1.23\nCMD ["go", "test"]\n')
    (tmp_path / ".github/actions/docs/Dockerfile").write_text('FROM python:3.12\nCMD ["mkdocs", "build"]\n')
    (tmp_path / ".github/actions/label/package.json").write_text('{"name": "label", "main": "index.js"}\n')
    (tmp_path / ".github/actions/label/index.js").write_text("console.log('labelled');\n")
    result = scan([tmp_path], Config())
    assert [(s.name, s.root) for s in result.services] == [("nginx", "images/nginx/rootfs")]


def test_source_files_read_in_part_are_counted_in_plain_words(tmp_path: Path) -> None:
    from relcheck.reporters.inventory import inventory_line

    (tmp_path / "package.json").write_text('{"name": "web", "dependencies": {"express": "4"}}\n')
    (tmp_path / "server.js").write_text("const f = (a) => a ++ ++ 1;\nrequire('express')().listen(3000);\n")
    (tmp_path / "other.js").write_text("const g = (\nexport default g;\n")
    line = inventory_line(scan([tmp_path], Config()))
    assert line.endswith("Not checked: 2 source files (read in part).")


def test_a_monorepos_libraries_and_development_images_make_no_services(tmp_path: Path) -> None:
    """novu's layout: apps with Dockerfiles, libraries that publish types or plug into a framework
    (`types`, `exports`, `peerDependencies`) or that npm installed, a dev container and Gitpod's
    image. Only the apps are services; the libraries are not asked for probes, runbooks and alerts."""
    (tmp_path / "pnpm-workspace.yaml").write_text("packages: ['apps/*', 'libs/*', 'packages/*']\n")
    (tmp_path / "package.json").write_text('{"name": "root", "private": true}\n')
    (tmp_path / ".gitpod.Dockerfile").write_text("FROM gitpod/workspace-full\n")
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "Dockerfile").write_text("FROM mcr.microsoft.com/devcontainers/typescript-node\n")
    (tmp_path / ".cursor").mkdir()  # Cursor's background agents' environment
    (tmp_path / ".cursor" / "Dockerfile").write_text("FROM ubuntu:24.04\nRUN apt-get update\n")
    libraries = {
        "libs/dal": '{"name": "@acme/dal", "main": "dist/index.js", "types": "dist/index.d.ts"}',
        "packages/react": '{"name": "@acme/react", "exports": {".": "./dist/index.js"}}',
        "packages/nest": '{"name": "@acme/nest", "main": "index.js", "peerDependencies": {"@nestjs/core": "10"}}',
        "apps/api": '{"name": "@acme/api", "main": "dist/main.js", "scripts": {"start": "node dist/main.js"}}',
        "apps/worker": '{"name": "@acme/worker", "types": "dist/index.d.ts"}',
        # A dependency as npm installed it, copied in (pm2's modules/): npm's own fields say so.
        "libs/vendored/configurable": '{"name": "configurable", "main": "index", "_from": "configurable@0.0.1"}',
    }
    for folder, manifest in libraries.items():
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "package.json").write_text(manifest + "\n")
        (tmp_path / folder / "index.js").write_text("module.exports = {};\n")
    (tmp_path / "apps" / "worker" / "Dockerfile").write_text('FROM node:22-slim\nUSER node\nCMD ["node", "index.js"]\n')
    result = scan([tmp_path], Config())
    assert [(s.name, s.root) for s in result.services] == [("api", "apps/api"), ("worker", "apps/worker")]
    assert not [f for f in result.findings if f.location.path.startswith(("libs/", "packages/"))]
    # Hygiene rules still read development images (a pinned base image, .dockerignore); service rules do not.
    development_folders = (".devcontainer", ".cursor", ".gitpod")
    development = {f.code for f in result.findings if f.location.path.startswith(development_folders)}
    assert development <= {"D009", "D012"}


def test_an_alert_copied_whole_is_a_warning_and_one_name_over_two_expressions_is_fine(tmp_path: Path) -> None:
    """Prometheus loads a group with one alert name twice (rulefmt checks group names only): the
    Cortex mixin's RolloutStuck has an expression for StatefulSets and one for Deployments. A copy
    with the same expression and labels is only a leftover, so a warning, not "a file Prometheus
    does not load"."""
    rule = "      - alert: Stuck\n        expr: {expr}\n        for: 15m\n        labels: {{severity: warning}}\n"
    head = "groups:\n  - name: rollouts\n    rules:\n"
    (tmp_path / "alerts.yaml").write_text(head + rule.format(expr="a != b") + rule.format(expr="c != d"))
    assert scan([tmp_path], Config(), select=["A007"]).findings == []
    (tmp_path / "alerts.yaml").write_text(head + rule.format(expr="a != b") + rule.format(expr="a  !=  b"))
    (finding,) = scan([tmp_path], Config(), select=["A007"]).findings
    assert (finding.location.line, finding.severity.label) == (8, "warning")


def test_deployments_in_languages_relcheck_does_not_read_are_said_to_be_unchecked(tmp_path: Path) -> None:
    """A repository that deploys with Compose, Jsonnet or Terraform must not read as checked."""
    from relcheck.reporters.inventory import inventory_line

    (tmp_path / "deploy").mkdir()
    (tmp_path / "docker-compose.yml").write_text("services:\n  api:\n    image: node:20\n")
    (tmp_path / "compose.override.yaml").write_text("services: {}\n")
    (tmp_path / "deploy" / "main.jsonnet").write_text("{}\n")
    (tmp_path / "deploy" / "main.tf").write_text('resource "kubernetes_deployment" "api" {}\n')
    (tmp_path / "notes.yaml").write_text("compose: false\n")
    line = inventory_line(scan([tmp_path], Config()))
    assert line.endswith(
        "Not checked: 2 Compose files (not read), 1 Jsonnet file (not read), 1 Terraform file (not read)."
    )


def test_packaging_folders_belong_to_the_app_above_them(tmp_path: Path) -> None:
    """`api/docker/Dockerfile` and `api/deploy/pm2.config.js` package the app in `api/`: one
    service, not three (`docker` and `deploy` named after their parent, `api/api`)."""
    for folder in ("api/docker", "api/deploy", "docker/worker"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "api" / "package.json").write_text('{"name": "api", "scripts": {"start": "node main.js"}}\n')
    (tmp_path / "api" / "main.js").write_text("require('http').createServer().listen(3000);\n")
    (tmp_path / "api" / "docker" / "Dockerfile").write_text('FROM node:22-slim\nUSER node\nCMD ["node", "main.js"]\n')
    (tmp_path / "api" / "deploy" / "pm2.config.js").write_text(
        "module.exports = { apps: [{ name: 'api', script: 'main.js' }] };\n"
    )
    # A folder of Dockerfiles with no app above it is still a service of its own.
    (tmp_path / "docker" / "worker" / "Dockerfile").write_text('FROM node:22-slim\nUSER node\nCMD ["node", "w.js"]\n')
    result = scan([tmp_path], Config())
    assert [(s.name, s.root) for s in result.services] == [("api", "api"), ("worker", "docker/worker")]
    (api,) = [s for s in result.services if s.name == "api"]
    assert [d.path for d in api.dockerfiles] == ["api/docker/Dockerfile"]
    assert [a.path for a in api.pm2_apps] == ["api/deploy/pm2.config.js"]


@pytest.mark.parametrize(
    ("start", "base"),
    [
        ('ENTRYPOINT ["docker-entrypoint.sh"]\nCMD [ "node" ]', True),  # the official Node image
        ('CMD ["python3"]', True),
        ("CMD bash", True),
        ('ENTRYPOINT ["tini", "--"]\nCMD ["node"]', True),
        ('CMD ["node", "server.js"]', False),
        ('ENTRYPOINT ["python3"]\nCMD ["app.py"]', False),
        ('ENTRYPOINT ["/app/entrypoint.sh"]', False),  # the script starts the application
        ("", False),  # no command of its own: the base image's, which D002 judges
    ],
)
def test_images_whose_command_is_a_bare_interpreter_are_base_images(tmp_path: Path, start: str, base: bool) -> None:
    """A base image (built FROM, its command a REPL) is not a service, and the rules about the image
    that runs (D001-D007, D010, D011) leave it alone."""
    (tmp_path / "node").mkdir()
    (tmp_path / "node" / "Dockerfile").write_text(f"FROM debian:bookworm-slim\nRUN apt-get update\n{start}\n")
    result = scan([tmp_path], Config())
    assert (not result.services) is base
    assert any(f.code == "D001" for f in result.findings) is not base


def test_a_package_json_that_only_sets_the_module_type_is_no_package(tmp_path: Path) -> None:
    """Unleash's src/migrations/package.json is `{"type": "commonjs"}`: its migrations are the
    server's files, not a service of their own."""
    (tmp_path / "package.json").write_text(
        '{"name": "server", "scripts": {"start": "node src/server.js"}, "dependencies": {"express": "4"}}\n'
    )
    (tmp_path / "src" / "migrations").mkdir(parents=True)
    (tmp_path / "src" / "server.js").write_text("require('express')().listen(3000);\n")
    (tmp_path / "src" / "migrations" / "package.json").write_text('{"type": "commonjs"}\n')
    (tmp_path / "src" / "migrations" / "001-init.js").write_text("exports.up = (db, cb) => db.runSql('', cb);\n")
    result = scan([tmp_path], Config())
    assert [(s.name, s.root) for s in result.services] == [("server", "")]
    assert "src/migrations/001-init.js" in result.services[0].files


def test_a_package_json_of_tooling_alone_is_no_service(tmp_path: Path) -> None:
    """docker-node's root package.json: lint and format scripts, devDependencies, nothing that runs."""
    (tmp_path / "package.json").write_text(
        '{"name": "images", "private": true, "scripts": {"lint": "eslint ."}, "devDependencies": {"eslint": "9"}}\n'
    )
    (tmp_path / "build-matrix.js").write_text("console.log(JSON.stringify({include: []}));\n")
    result = scan([tmp_path], Config())
    assert result.services == []
    assert not [f for f in result.findings if f.code.startswith(("S", "R"))]
    (tmp_path / "package.json").write_text('{"name": "api", "scripts": {"start": "node build-matrix.js"}}\n')
    assert [s.name for s in scan([tmp_path], Config()).services] == ["api"]


def test_a_main_that_names_no_file_does_not_make_tooling_a_service(tmp_path: Path) -> None:
    """anything-llm's root package.json: scripts that run the real services' folders, `npm init`'s
    `"main": "index.js"` with no index.js. A translation script beside it is no service's server."""
    (tmp_path / "package.json").write_text(
        '{"name": "anything-llm", "main": "index.js", "scripts": {"dev": "cd server && yarn dev"},'
        ' "devDependencies": {"concurrently": "9"}}\n'
    )
    (tmp_path / "extras" / "translator").mkdir(parents=True)
    (tmp_path / "extras" / "translator" / "index.mjs").write_text("import fs from 'fs';\nconsole.log(fs);\n")
    assert scan([tmp_path], Config()).services == []
    # With the file `main` names, the package runs it: a service.
    (tmp_path / "index.js").write_text("require('http').createServer().listen(3000);\n")
    assert [s.name for s in scan([tmp_path], Config()).services] == ["anything-llm"]


def test_a_workspace_root_that_links_its_members_makes_no_library_of_them(tmp_path: Path) -> None:
    """etherpad: the root package.json of a pnpm workspace installs its members with `link:`."""
    (tmp_path / "pnpm-workspace.yaml").write_text("packages:\n  - api\n")
    (tmp_path / "package.json").write_text('{"name": "root", "dependencies": {"api": "link:api"}}\n')
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "package.json").write_text(
        '{"name": "api", "main": "server.js", "dependencies": {"express": "4"}}\n'
    )
    (tmp_path / "api" / "server.js").write_text("require('express')().listen(3000);\n")
    assert [s.root for s in scan([tmp_path], Config()).services] == ["api"]
    (tmp_path / "pnpm-workspace.yaml").unlink()  # a plain package that installs a folder: a library
    assert [s.root for s in scan([tmp_path], Config()).services] == [""]


def test_a_workspace_member_another_member_depends_on_by_name_is_a_library(tmp_path: Path) -> None:
    """openstatus: `apps/server` depends on `"@openstatus/notification-slack": "workspace:*"`, a
    package with `main`, dependencies and no `start`; the server is named after its package, not
    after the `apps/` folder above its generic `server/` one."""
    (tmp_path / "package.json").write_text('{"name": "openstatus", "workspaces": ["apps/*", "packages/*"]}\n')
    for folder, manifest, code in (
        ("apps/server", '{"name": "@openstatus/server", "scripts": {"start": "node src/serve.js"},'
         ' "dependencies": {"@openstatus/notification-slack": "workspace:*", "hono": "4"}}',
         "require('http').createServer().listen(3000);\n"),
        ("packages/slack", '{"name": "@openstatus/notification-slack", "main": "src/index.js",'
         ' "dependencies": {"zod": "3"}}', "module.exports.send = async () => fetch('https://slack');\n"),
    ):
        (tmp_path / folder / "src").mkdir(parents=True)
        (tmp_path / folder / "package.json").write_text(manifest + "\n")
        (tmp_path / folder / "src" / ("serve.js" if "server" in folder else "index.js")).write_text(code)
    result = scan([tmp_path], Config())
    assert [(s.root, s.name) for s in result.services] == [("apps/server", "server")]


def test_a_library_that_exports_a_server_is_still_a_library(tmp_path: Path) -> None:
    """atproto's packages/bsky: `exports`, a `start` script and express; the deployable is
    services/bsky, which imports it. Built on a server framework, it is still a library."""
    (tmp_path / "package.json").write_text(
        '{"name": "@atproto/bsky", "files": ["./dist"], "exports": {".": "./dist/index.js"},'
        ' "scripts": {"start": "node --enable-source-maps dist/bin.js"}, "dependencies": {"express": "4"}}\n'
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.ts").write_text("import express from 'express';\nexport const app = express();\n")
    assert scan([tmp_path], Config()).services == []


@pytest.mark.parametrize(
    ("start", "dependency", "services"),
    [
        ("node dist/open-computer", "commander", []),  # `npm start` runs the command the package installs
        ("node ./dist/open-computer --verbose", "commander", []),
        ("node dist/server.js", "commander", ["cli"]),  # a server of its own beside the command
        # The Lounge: `thelounge start` is its web server, published to npm as a command.
        ("node dist/open-computer start", "express", ["cli"]),
    ],
)
def test_a_start_script_that_runs_the_packages_bin_is_a_command_line_tool(
    tmp_path: Path, start: str, dependency: str, services: list[str]
) -> None:
    """anything-llm's open-computer/cli: `bin` installs dist/open-computer, `start` runs it."""
    published = ' "files": ["dist"],' if dependency == "express" else ""  # what npm publishes: a package
    (tmp_path / "package.json").write_text(
        f'{{"name": "cli", "bin": {{"open-computer": "./dist/open-computer"}},{published}'
        f' "scripts": {{"start": "{start}"}}, "dependencies": {{"{dependency}": "12"}}}}\n'
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.ts").write_text("import { Command } from 'commander';\nnew Command().parse();\n")
    assert [s.name for s in scan([tmp_path], Config()).services] == services


@pytest.mark.parametrize(
    ("claim", "severity"),
    [
        ("  accessModes: [ReadWriteOnce]\n", "info"),  # Recreate is what the volume needs
        ("  accessModes: [ReadWriteOncePod]\n", "info"),
        ("  accessModes: [ReadWriteMany]\n", "error"),  # shared: a rolling update could run
        (None, "warning"),  # the claim is not in the scan
    ],
)
def test_k015_weighs_recreate_against_the_volume_it_mounts(tmp_path: Path, claim: str | None, severity: str) -> None:
    pvc = f"apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data}}\nspec:\n{claim}---\n" if claim else ""
    (tmp_path / "db.yaml").write_text(
        pvc + "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db}\nspec:\n  strategy: {type: Recreate}\n"
        "  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n"
        "      containers: [{name: db, image: 'example/files:1.4.0', ports: [{name: http, containerPort: 8080}]}]\n"
        "      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]\n"
    )
    (finding,) = scan([tmp_path], Config(), select=["K015"]).findings
    assert finding.severity.label == severity
    # A rolling update that takes the one pod down first is judged the same way.
    rolling = "strategy: {rollingUpdate: {maxUnavailable: 1}}"
    (tmp_path / "db.yaml").write_text((tmp_path / "db.yaml").read_text().replace("strategy: {type: Recreate}", rolling))
    (finding,) = scan([tmp_path], Config(), select=["K015"]).findings
    assert finding.severity.label == severity and "maxUnavailable 1" in finding.message
    # Several replicas on one claim: surging is still the advice (they share a node or break anyway).
    three = (tmp_path / "db.yaml").read_text().replace("spec:\n  strategy", "spec:\n  replicas: 3\n  strategy")
    (tmp_path / "db.yaml").write_text(three)
    (finding,) = scan([tmp_path], Config(), select=["K015"]).findings
    assert finding.severity.label == "error" and "set maxUnavailable: 0" in finding.message


@pytest.mark.parametrize(
    ("dockerfile", "severity"),
    [
        ("FROM postgres:16.4\n", "warning"),  # its entrypoint runs the server as 'postgres'
        ('FROM mongo:7.0\nCMD ["--bind_ip_all"]\n', "warning"),  # flags for mongod: the same step down
        ('FROM postgres:16.4\nCMD ["bash", "/seed.sh"]\n', "error"),  # not the server: no step down
        ('FROM redis:7.4\nENTRYPOINT ["redis-server"]\n', "error"),  # its own entrypoint: root
        ("FROM python:3.12-slim\n", "error"),
    ],
)
def test_d001_knows_database_images_that_step_down_from_root(tmp_path: Path, dockerfile: str, severity: str) -> None:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (finding,) = scan([tmp_path], Config(), select=["D001"]).findings
    assert finding.severity.label == severity


@pytest.mark.parametrize(
    ("affinity", "severity", "safe"),
    [
        (None, "error", True),
        # One pod per node: maxUnavailable: 0 needs a spare node, which the scan cannot see.
        ("requiredDuringSchedulingIgnoredDuringExecution", "warning", False),
        ("preferredDuringSchedulingIgnoredDuringExecution", "error", True),  # a preference never blocks
    ],
)
def test_k015_weighs_one_pod_per_node(tmp_path: Path, affinity: str | None, severity: str, safe: bool) -> None:
    term = "{labelSelector: {matchLabels: {app: api}}, topologyKey: kubernetes.io/hostname}"
    if affinity == "preferredDuringSchedulingIgnoredDuringExecution":
        term = f"{{weight: 100, podAffinityTerm: {term}}}"
    spread = f"      affinity: {{podAntiAffinity: {{{affinity}: [{term}]}}}}\n" if affinity else ""
    (tmp_path / "api.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 3\n"
        "  strategy: {rollingUpdate: {maxUnavailable: 1}}\n"
        "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n"
        + spread
        + "      containers: [{name: api, image: 'api:1.0.0', ports: [{name: http, containerPort: 8080}]}]\n"
    )
    (finding,) = scan([tmp_path], Config(), select=["K015"], fixes=True).findings
    assert finding.severity.label == severity
    assert finding.autofix is not None and finding.autofix.safe is safe


@pytest.mark.parametrize(
    ("command", "severity"),
    [
        ('["node", "dist/main.js"]', "info"),  # Kubernetes runs this, not the shell-form CMD
        ('["sh", "-c", "node dist/main.js"]', "error"),  # the same shell as PID 1
        (None, "error"),
    ],
)
def test_d003_weighs_the_command_kubernetes_runs(tmp_path: Path, command: str | None, severity: str) -> None:
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "Dockerfile").write_text("FROM node:22-slim\nUSER node\nCMD node dist/main.js\n")
    (tmp_path / "orders" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders}\nspec:\n"
        "  selector: {matchLabels: {app: orders}}\n  template:\n    metadata: {labels: {app: orders}}\n"
        "    spec:\n      containers:\n        - name: server\n          image: registry.example.com/orders:2.0.1\n"
        + (f"          command: {command}\n" if command else "")
    )
    (finding,) = scan([tmp_path], Config(), select=["D003"]).findings
    assert finding.severity.label == severity


@pytest.mark.parametrize(
    ("manifest", "service"),
    [
        ('{"name": "tsconfig", "private": true, "publishConfig": {"access": "public"}}', False),
        ('{"name": "eslint-config-docs", "main": "base.js", "dependencies": {"eslint-config-next": "14"}}', False),
        ('{"name": "@acme/toolbox", "bin": "./bin/toolbox.js", "dependencies": {"commander": "11"}}', False),
        ('{"name": "api", "bin": "./bin/api.js", "scripts": {"start": "node server.js"}}', True),
        ('{"name": "api", "main": "server.js", "dependencies": {"express": "4"}}', True),
        # A server published as a starter (sclorg's nodejs-ex): `files` says what npm ships.
        ('{"name": "crud", "main": "./bin/www", "files": ["bin", "lib"], "scripts": {"start": "node ."}}', True),
        ('{"name": "ui-kit", "files": ["dist"], "scripts": {"start": "storybook dev -p 6006"}}', False),
        ('{"name": "sdk", "types": "index.d.ts", "files": ["dist"], "scripts": {"start": "node ."}}', False),
        # logto's `packages/cli`: published, with a `bin`, and `node .` runs the command.
        ('{"name": "cli", "bin": {"logto": "bin/logto.js"}, "files": ["bin"], "scripts": {"start": "node ."}}', False),
    ],
)
def test_config_packages_and_command_line_tools_are_no_services(tmp_path: Path, manifest: str, service: bool) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "package.json").write_text(manifest + "\n")
    (tmp_path / "pkg" / "index.js").write_text("module.exports = {};\n")
    (tmp_path / "pnpm-workspace.yaml").write_text("packages: ['*']\n")
    assert bool(scan([tmp_path], Config()).services) is service


def test_an_extensionless_main_is_the_entry_point(tmp_path: Path) -> None:
    """`"main": "./bin/www"` (Express's generator) is what `node .` runs: the entry point, so that a
    second server file beside it (nodejs-ex's older `server.js`) is not taken for the service."""
    (tmp_path / "package.json").write_text('{"name": "crud", "main": "./bin/www", "scripts": {"start": "node ."}}\n')
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "www").write_text(
        "#!/usr/bin/env node\nconst app = require('../app');\nrequire('http').createServer(app).listen(8080);\n"
    )
    express = "const app = require('express')();\n"
    (tmp_path / "app.js").write_text(express + "app.get('/fruits', h);\nmodule.exports = app;\n")
    (tmp_path / "server.js").write_text(express + "app.get('/pagecount', h);\napp.listen(8080);\n")
    (finding,) = scan([tmp_path], Config(), select=["S003"]).findings
    assert finding.location.path == "bin/www" and "(routes found: /fruits)" in finding.message


@pytest.mark.parametrize(
    ("folder", "scripts", "service"),
    [
        ("libraries/fetch-utils", '{"test": "mocha"}', False),  # overleaf's, imported by its services
        ("libs/auth", '{"build": "tsc"}', False),  # Nx's layout
        ("libs/auth", '{"start": "node index.js"}', True),
        ("services/chat", '{"test": "mocha"}', True),
    ],
)
def test_the_packages_of_a_libraries_folder_are_no_services(
    tmp_path: Path, folder: str, scripts: str, service: bool
) -> None:
    (tmp_path / folder).mkdir(parents=True)
    (tmp_path / folder / "package.json").write_text(
        f'{{"name": "x", "main": "index.js", "dependencies": {{"lodash": "4"}}, "scripts": {scripts}}}\n'
    )
    (tmp_path / folder / "index.js").write_text("module.exports = require('lodash').identity;\n")
    (tmp_path / "pnpm-workspace.yaml").write_text("packages: ['*/*']\n")
    assert bool(scan([tmp_path], Config()).services) is service


@pytest.mark.parametrize(
    ("workspace", "service"),
    [
        ('{"projects": {"notification-center-angular": {"projectType": "library"}}}', False),  # novu's
        ('{"projects": {"ui": {"projectType": "library"}, "demo": {"projectType": "application"}}}', True),
        ("{not json", True),
    ],
)
def test_an_angular_workspace_of_libraries_is_no_service(tmp_path: Path, workspace: str, service: bool) -> None:
    """ng-packagr builds the workspace's libraries for npm; `ng serve` has no application to serve."""
    (tmp_path / "package.json").write_text(
        '{"name": "@acme/angular-workspace", "private": true, "scripts": {"start": "ng serve"},'
        ' "dependencies": {"@angular/core": "^16.2.0"}}\n'
    )
    (tmp_path / "angular.json").write_text(workspace)
    assert bool(scan([tmp_path], Config()).services) is service


@pytest.mark.parametrize(("output", "service"), [("", False), ('  output: "standalone",\n', True)])
def test_a_vercel_app_built_to_serve_itself_is_a_service(tmp_path: Path, output: str, service: bool) -> None:
    """typebot's viewer is hosted on Vercel (`vercel.json`) and, self-hosted, runs in an image from
    its standalone build (`output: "standalone"`, which Vercel ignores): a service. Medusa's
    documentation sites, with no standalone build, are not."""
    (tmp_path / "package.json").write_text(
        '{"name": "viewer", "scripts": {"start": "next start"}, "dependencies": {"next": "15.1.0"}}\n'
    )
    (tmp_path / "vercel.json").write_text('{"github": {"silent": true}}\n')
    (tmp_path / "next.config.mjs").write_text("const config = {\n" + output + "};\nexport default config;\n")
    assert bool(scan([tmp_path], Config()).services) is service


@pytest.mark.parametrize(("start", "services"), [("", []), (', "start": "node server.js"', [""])])
def test_a_workspace_of_libraries_that_starts_nothing_is_no_service(tmp_path: Path, start: str, services: list) -> None:
    """medusa: a workspace of published packages, with a Jest config and generated API docs at the
    top. That source is the workspace's tooling, not a server; a root that starts something is."""
    (tmp_path / "package.json").write_text(
        '{"name": "root", "private": true, "workspaces": ["packages/*"], "scripts": {"test": "jest"' + start + "}}\n"
    )
    (tmp_path / "define_jest_config.js").write_text("module.exports = { testEnvironment: 'node' };\n")
    (tmp_path / "packages" / "core").mkdir(parents=True)
    (tmp_path / "packages" / "core" / "package.json").write_text(
        '{"name": "@acme/core", "main": "dist/index.js", "types": "dist/index.d.ts"}\n'
    )
    (tmp_path / "packages" / "core" / "index.js").write_text("module.exports = () => 1;\n")
    assert [s.root for s in scan([tmp_path], Config()).services] == services


@pytest.mark.parametrize(
    ("marker", "text", "service"),
    [
        ("host.json", '{"version": "2.0"}', False),  # Azure Functions (Mission-Critical-Online's load generator)
        ("serverless.yml", "service: api\nprovider: {name: aws, runtime: nodejs20.x}\n", False),
        ("template.yaml", "Transform: AWS::Serverless-2016-10-31\nResources: {}\n", False),  # AWS SAM
        ("template.yaml", "name: email-template\n", True),  # another tool's template
        (".zapierapprc", '{"id": 1, "key": "App1"}', False),  # a Zapier integration (ever-gauzy's)
        ("vercel.json", '{"framework": "nextjs"}', False),  # medusa's documentation sites
        ("netlify.toml", '[build]\ncommand = "npm run build"\n', False),
        ("wrangler.jsonc", '{"name": "app", "main": ".open-next/worker.js"}', False),  # Cloudflare Workers
        ("wrangler.toml", 'name = "app"\nmain = "src/index.js"\n', False),
        ("now.yml", "name: app\n", True),  # no platform's configuration
    ],
)
def test_an_app_of_serverless_functions_is_no_service(tmp_path: Path, marker: str, text: str, service: bool) -> None:
    """The platform's host runs the functions: a handler is asked for no SIGTERM handler."""
    (tmp_path / "package.json").write_text(
        '{"name": "functions", "scripts": {"start": "func start"}, '
        '"dependencies": {"durable-functions": "^3", "express": "^4"}}\n'
    )
    (tmp_path / marker).write_text(text)
    (tmp_path / "Activity").mkdir()
    (tmp_path / "Activity" / "index.js").write_text(
        "module.exports = async function (context) { return require('http').get('http://api/'); };\n"
    )
    result = scan([tmp_path], Config(), select=["S001"])
    assert bool(result.services) is service
    assert len(result.findings) == (1 if service else 0)


@pytest.mark.parametrize(
    ("script", "command", "reported"),
    [
        ("probe.js", '["node", "node_modules/node-red/red.js"]', []),  # node-red-docker: its only JS is the probe
        ("server.js", '["node", "server.js"]', [("S001", "server.js")]),  # the server checks itself
        ("healthcheck.js", '["node", "healthcheck.js"]', []),  # by its name, a health check's own program
    ],
)
def test_the_script_a_healthcheck_runs_is_not_the_service(
    tmp_path: Path, script: str, command: str, reported: list
) -> None:
    """`HEALTHCHECK CMD node /probe.js` runs a client that asks the server how it is and exits:
    it is asked for no SIGTERM handler. The same script named by CMD is the server, unless its
    name says it is a health check's (flowise's worker image starts `healthcheck.js` beside the worker)."""
    (tmp_path / "package.json").write_text('{"name": "flows", "dependencies": {"node-red": "4.0.0"}}\n')
    (tmp_path / script).write_text(
        "const http = require('http');\n"
        "http.get('http://localhost:1880/', (res) => process.exit(res.statusCode === 200 ? 0 : 1));\n"
    )
    (tmp_path / "Dockerfile").write_text(
        "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nUSER node\n"
        f"HEALTHCHECK CMD node /app/{script} --check\nCMD {command}\n"
    )
    result = scan([tmp_path], Config(), select=["S001"])
    assert [(f.code, f.location.path) for f in result.findings] == reported


@pytest.mark.parametrize(
    ("dependencies", "dockerfile", "service"),
    [
        ('"devDependencies": {"electron": "^31.0.0"}', False, False),  # headlamp's `app/`
        ('"dependencies": {"@tauri-apps/api": "^2.0.0"}', False, False),
        ('"devDependencies": {"electron": "^31.0.0"}', True, True),  # an image of it is deployed
        ('"devDependencies": {"electron-to-chromium": "^1.5.0"}', False, True),
    ],
)
def test_a_desktop_app_is_no_service(tmp_path: Path, dependencies: str, dockerfile: bool, service: bool) -> None:
    """An Electron, NW.js or Tauri app runs on users' machines: its main process is asked for no
    SIGTERM handler (S001 was an error on headlamp's `app/electron/main.ts`)."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "package.json").write_text(
        f'{{"name": "desktop", "main": "main.js", "scripts": {{"start": "node main.js"}}, {dependencies}}}\n'
    )
    (tmp_path / "app" / "main.js").write_text("require('http').createServer(() => {}).listen(3000);\n")
    if dockerfile:
        (tmp_path / "app" / "Dockerfile").write_text('FROM node:20-slim\nUSER node\nCMD ["node", "main.js"]\n')
    result = scan([tmp_path], Config(), select=["S001"])
    assert bool(result.services) is service
    assert len(result.findings) == (1 if service else 0)


@pytest.mark.parametrize(
    ("folder", "scripts", "service"),
    [
        ("bin", '{"checkPad": "node --import tsx checkPad.ts"}', False),  # etherpad's admin commands
        ("scripts", '{"migrate": "node migrate.js"}', False),
        ("bin", '{"start": "node checkPad.js"}', True),  # it says how it is started
        ("worker", '{"migrate": "node migrate.js"}', True),
    ],
)
def test_the_package_of_a_scripts_folder_is_no_service(
    tmp_path: Path, folder: str, scripts: str, service: bool
) -> None:
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "package.json").write_text(
        f'{{"name": "{folder}", "main": "checkPad.js", "dependencies": {{"axios": "1"}}, "scripts": {scripts}}}\n'
    )
    (tmp_path / folder / "checkPad.js").write_text("require('http').createServer((q, r) => r.end()).listen(9001);\n")
    (tmp_path / "pnpm-workspace.yaml").write_text("packages: ['*']\n")
    result = scan([tmp_path], Config())
    assert bool(result.services) is service
    assert bool([f for f in result.findings if f.code == "S001"]) is service


@pytest.mark.parametrize(("command", "checked"), [("", False), ('CMD ["node", "recover.js"]\n', True)])
def test_scripts_beside_an_image_that_runs_something_else_are_no_process(
    tmp_path: Path, command: str, checked: bool
) -> None:
    """overleaf's `server-ce/hotfix/5.0.2/`: a Dockerfile that patches the product's image (whose own
    command it keeps) beside a recovery script run by hand. No command, package.json or PM2 app
    names the script: S001 does not ask it for a SIGTERM handler. Once the image runs it, it does."""
    hotfix = tmp_path / "hotfix" / "5.0.2"
    hotfix.mkdir(parents=True)
    (hotfix / "Dockerfile").write_text(f"FROM sharelatex/sharelatex:5.0.1\nCOPY recover.js /overleaf/\n{command}")
    (hotfix / "recover.js").write_text("const db = require('./db');\nsetInterval(() => db.recover(), 1000);\n")
    # A settings file that imports `http` for a client's agent (overleaf's server-ce): no server either.
    (hotfix / "settings.js").write_text("const http = require('node:http');\nmodule.exports = {agent: http};\n")
    found = scan([tmp_path], Config(), select=["S001"]).findings
    assert [f.location.path for f in found] == (["hotfix/5.0.2/recover.js"] if checked else [])


def test_a_librarys_signal_handling_makes_no_process_of_a_package_that_runs_none(tmp_path: Path) -> None:
    """nocobase's `packages/presets/nocobase` depends on a library that handles SIGTERM, but nothing
    starts the preset as a process: the library's handlers do not make it one (no S002-S004)."""
    (tmp_path / "packages/server/src").mkdir(parents=True)
    (tmp_path / "packages/server/package.json").write_text('{"name": "@acme/server", "types": "lib/index.d.ts"}\n')
    (tmp_path / "packages/server/src/index.ts").write_text("process.on('SIGTERM', () => process.exit(0));\n")
    (tmp_path / "packages/preset/src").mkdir(parents=True)
    (tmp_path / "packages/preset/package.json").write_text(
        '{"name": "@acme/preset", "main": "lib/index.js", "dependencies": {"@acme/server": "*"}}\n'
    )
    preset = "import { Plugin } from '@acme/server';\nexport default Plugin;\n"
    (tmp_path / "packages/preset/src/index.ts").write_text(preset)
    (tmp_path / "pnpm-workspace.yaml").write_text("packages: ['packages/*']\n")
    assert scan([tmp_path], Config(), select=["S001", "S002", "S003", "S004"]).findings == []


@pytest.mark.parametrize(
    ("dependencies", "code", "findings"),
    [
        ({"handlebars": "^4"}, "const fs = require('fs');\nfs.writeFileSync('NOTICE', 'x');\n", 0),
        (
            {"bullmq": "^5"},
            "const { Worker } = require('bullmq');\nnew Worker('mail', async (job) => job.data);\n",
            2,
        ),
        ({"node-cron": "^3"}, "require('node-cron').schedule('* * * * *', () => {});\n", 2),
    ],
)
def test_npm_start_alone_makes_a_process_of_a_worker_not_of_a_one_off_script(
    tmp_path: Path, dependencies: dict, code: str, findings: int
) -> None:
    """retail-store-sample-app's `oss/attribution` has `"start": "node dist/main.js"` and writes the
    licence notices once: nothing stops it, so it is asked for no SIGTERM or crash handler (S001,
    S002). A queue worker or a scheduler that only `npm start` runs (as Railway runs one) is."""
    import json

    (tmp_path / "src").mkdir()
    manifest = {"name": "job", "scripts": {"start": "node src/main.js"}, "dependencies": dependencies}
    (tmp_path / "package.json").write_text(json.dumps(manifest))
    (tmp_path / "src" / "main.js").write_text(code)
    result = scan([tmp_path], Config(), select=["S001", "S002"])
    assert [s.root for s in result.services] == [""]
    assert sorted(f.code for f in result.findings) == ["S001", "S002"][:findings]
    assert all(f.location.path == "src/main.js" and f.location.line == 1 for f in result.findings)


@pytest.mark.parametrize(
    ("dockerfile", "findings"),
    [
        ("Dockerfile.dev", 0),  # a developer's live-reload image: nothing in production stops it
        ("Dockerfile", 1),  # the image that is deployed
    ],
)
def test_only_an_image_that_runs_the_service_makes_a_process_of_it(
    tmp_path: Path, dockerfile: str, findings: int
) -> None:
    """grafana's OnCall plugin: its only image is `Dockerfile.dev`, which runs `pnpm start`
    (webpack in watch mode) in a developer's container; its test setup got an S001 error."""
    import json

    manifest = {"name": "plugin", "scripts": {"start": "pnpm watch", "watch": "webpack -w"}}
    (tmp_path / "package.json").write_text(json.dumps(manifest))
    (tmp_path / "jest-setup.js").write_text("global.matchMedia = () => ({ matches: false });\n")
    (tmp_path / dockerfile).write_text('FROM node:20-alpine\nWORKDIR /etc/app\nCMD ["pnpm", "start"]\n')
    result = scan([tmp_path], Config(), select=["S001"])
    # At the start script that runs the code (the package has no entry file), not its test setup.
    assert [(f.code, f.location.path, f.location.line) for f in result.findings] == [
        ("S001", "package.json", 1)
    ][:findings]


def test_a_package_json_kept_for_the_root_makes_no_service_of_its_folder(tmp_path: Path) -> None:
    """NodeBB keeps its package.json in `install/` (`"main": "app.js"`, `"start": "node loader.js"`),
    and its image copies it to the root, where those files are. `install/` is no service of its own
    that lacks a SIGTERM handler: its files are the root's, whose loader handles the signals."""
    (tmp_path / "install").mkdir()
    (tmp_path / "install" / "package.json").write_text(
        '{"name": "forum", "main": "app.js", "scripts": {"start": "node loader.js"}, '
        '"dependencies": {"express": "^4"}}\n'
    )
    (tmp_path / "install" / "web.js").write_text("const app = require('express')();\napp.listen(4567);\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM node:20\nCOPY . /app\nRUN cp /app/install/package.json /app/\nUSER node\nCMD [\"node\", \"loader.js\"]\n"
    )
    (tmp_path / "loader.js").write_text(
        "process.on('SIGTERM', stop);\nprocess.on('SIGINT', stop);\nfunction stop() {}\n"
    )
    (tmp_path / "app.js").write_text("require('express')().listen(4567);\n")
    result = scan([tmp_path], Config(), select=["S001"])
    assert [(s.root, len(s.files)) for s in result.services] == [("", 5)]
    assert result.findings == []
    (tmp_path / "install" / "loader.js").write_text("require('../loader.js');\n")  # it runs a file of its own
    assert [s.root for s in scan([tmp_path], Config(), select=["S001"]).services] == ["", "install"]


def test_a_test_suites_packages_are_no_services(tmp_path: Path) -> None:
    """medusa's integration-tests/api, integration-tests/http: test suites with package.json files."""
    for folder in ("integration-tests/api", "integration-tests/http", "apps/api"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "package.json").write_text('{"name": "x", "dependencies": {"express": "4"}}\n')
        (tmp_path / folder / "index.js").write_text("require('express')().listen(3000);\n")
    (tmp_path / "pnpm-workspace.yaml").write_text("packages: ['*/*']\n")
    assert [s.root for s in scan([tmp_path], Config()).services] == ["apps/api"]


def test_an_empty_label_value_is_loaded_by_prometheus(tmp_path: Path) -> None:
    """`installation: {{ .Values.name }}` rendered with an empty value is `installation:` (null):
    Prometheus decodes it as an empty label (no label), the API server prunes it from a
    PrometheusRule. Neither refuses it, so it is no A007. A list there still is."""
    rule = (
        "groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: up == 0\n        for: 5m\n"
        "        labels:\n          severity: warning\n          installation: {value}\n"
    )
    (tmp_path / "alerts.yaml").write_text(rule.format(value=""))
    assert scan([tmp_path], Config(), select=["A007"]).findings == []
    (tmp_path / "alerts.yaml").write_text(rule.format(value="[a, b]"))
    (finding,) = scan([tmp_path], Config(), select=["A007"]).findings
    assert "expected a string or a number or a boolean, got" in finding.message and "null" not in finding.message


def test_a_browser_app_an_image_serves_as_files_gets_no_node_rules(tmp_path: Path) -> None:
    """novu's web app: a Create React App build that its image serves with `http-server`. The image
    runs pnpm, but none of the app's JavaScript runs on the server."""
    (tmp_path / "web" / "src").mkdir(parents=True)
    (tmp_path / "web" / "package.json").write_text(
        '{"name": "web", "scripts": {"start:static:build": "http-server build -p 4200"},'
        ' "dependencies": {"react": "18", "react-scripts": "5", "http-server": "14"}}\n'
    )
    (tmp_path / "web" / "src" / "api.ts").write_text("import axios from 'axios';\nexport const api = axios.create();\n")
    (tmp_path / "web" / "Dockerfile").write_text('FROM node:22-slim\nUSER node\nCMD ["pnpm", "start:static:build"]\n')
    result = scan([tmp_path], Config(), select=["S001"])
    assert [s.runtime for s in result.services] == ["static-site"] and result.findings == []
    without_server = '{"name": "web", "dependencies": {"react": "18", "react-scripts": "5"}}\n'
    (tmp_path / "web" / "package.json").write_text(without_server)
    assert [f.code for f in scan([tmp_path], Config(), select=["S001"]).findings] == ["S001"]


def test_a_port_only_expose_states_is_a_hint_not_a_warning() -> None:
    """EXPOSE documents a port; the app may listen elsewhere by its own settings (dapr's
    quickstart: Kestrel on 5009 in appsettings.json, `EXPOSE 80` left over). A manifest that
    disagrees with EXPOSE alone is an info; with the app's PORT it stays a warning."""
    rules = Path(__file__).parent / "fixtures" / "rules" / "X005" / "fail"
    exposed = scan([rules / "expose-only"], Config(), select=["X005"])
    assert [(f.location.line, f.severity.name) for f in exposed.findings] == [(16, "INFO"), (18, "INFO")]
    stated = scan([rules / "probe-and-container-port"], Config(), select=["X005"])
    assert [(f.location.line, f.severity.name) for f in stated.findings] == [(15, "WARNING"), (19, "WARNING")]


def test_a_styled_components_file_is_front_end_code(tmp_path: Path) -> None:
    """outline: `styled.span<{ yellow?: boolean }>` templates the TypeScript grammar reads only in
    part. A file of styled components is the front end's, not the server's: no E002 for it."""
    (tmp_path / "package.json").write_text('{"name": "wiki", "dependencies": {"koa": "^2.15.0"}}')
    (tmp_path / "server").mkdir()
    (tmp_path / "server/index.ts").write_text(
        "import Koa from 'koa';\nconst app = new Koa();\nprocess.on('SIGTERM', () => process.exit(0));\n"
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app/Badge.ts").write_text(
        "import styled from 'styled-components';\n\n"
        "const Badge = styled.span<{ yellow?: boolean }>`\n  color: ${(p) => (p.yellow ? 'gold' : 'grey')};\n`;\n\n"
        "export default Badge;\n"
    )
    result = scan([tmp_path], Config(), select=["E"])
    assert not result.findings
    (service,) = result.services
    assert service.app.source_files == ["server/index.ts"]


def test_a_workspace_pm2_file_runs_the_packages_its_apps_name(tmp_path: Path) -> None:
    """WallStreetSim: the workspace root's ecosystem file starts `apps/api` (`cwd`); the api is
    that app's service, and the root's library (`packages/db`, with `types` and `exports`) is
    nobody's server: no S rule judges its source."""
    (tmp_path / "package.json").write_text('{"name": "sim", "private": true, "workspaces": ["apps/*", "packages/*"]}')
    (tmp_path / "ecosystem.config.js").write_text(
        "module.exports = { apps: [{ name: 'sim-api', cwd: './apps/api', script: 'dist/index.js',\n"
        "  exec_mode: 'cluster', instances: 2 }] };\n"
    )
    (tmp_path / "apps/api/src").mkdir(parents=True)
    (tmp_path / "apps/api/package.json").write_text('{"name": "api", "dependencies": {"express": "^4.21.0"}}')
    (tmp_path / "apps/api/src/index.ts").write_text(
        "import express from 'express';\nconst app = express();\nconst server = app.listen(3000);\n"
        "process.on('SIGTERM', () => server.close());\n"
    )
    (tmp_path / "packages/db/src").mkdir(parents=True)
    (tmp_path / "packages/db/package.json").write_text(
        '{"name": "@sim/db", "main": "./dist/index.js", "types": "./dist/index.d.ts"}'
    )
    (tmp_path / "packages/db/src/index.ts").write_text("export const connect = (url: string) => url;\n")
    result = scan([tmp_path], Config(), select=["S001"])
    services = {s.name: s for s in result.services}
    assert [a.name for a in services["api"].pm2_apps] == ["sim-api"]
    assert not any(s.app.source_files for s in result.services if s.name != "api")
    # PM2 stops the api with SIGINT, which it does not handle: the finding is the api's, not the library's.
    assert [(f.location.path, f.severity.name) for f in result.findings] == [("apps/api/src/index.ts", "ERROR")]


def test_a_placeholder_package_json_belongs_to_the_package_above(tmp_path: Path) -> None:
    """oriva-platform: Vercel needs `api/package.json` (a name and a description, nothing to install
    or run), while the root's `main` and dependencies run `api/index.ts`. The api folder is the
    root package's, whose entry is `api/index.ts`."""
    (tmp_path / "package.json").write_text(
        '{"name": "platform", "main": "api/index.ts", "dependencies": {"express": "^4.21.0"}}'
    )
    (tmp_path / "api").mkdir()
    (tmp_path / "api/package.json").write_text('{"name": "api-function", "private": true, "version": "1.0.0"}')
    (tmp_path / "api/index.ts").write_text("import express from 'express';\nexport default express();\n")
    (tmp_path / "docs/sample").mkdir(parents=True)
    (tmp_path / "docs/sample/index.ts").write_text("export const sample = 1;\n")
    result = scan([tmp_path], Config(), select=["S001"])
    (service,) = result.services
    assert service.root == "" and service.app.entry == "api/index.ts"
    assert [f.location.path for f in result.findings] == ["api/index.ts"]


def test_packages_a_cli_publishes_are_part_of_it(tmp_path: Path) -> None:
    """Ghost-CLI: a pnpm workspace whose root package is the CLI (`bin`, `files`), and whose
    `extensions/mysql` package is published inside it (`"files": [..., "extensions"]`). Neither is
    a service: no S rule judges a CLI's code."""
    (tmp_path / "pnpm-workspace.yaml").write_text("packages:\n  - extensions/*\n")
    (tmp_path / "package.json").write_text(
        '{"name": "ghost-cli", "main": "lib/index.js", "bin": {"ghost": "./bin/ghost"},'
        ' "files": ["bin", "lib", "extensions"]}'
    )
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib/index.js").write_text("module.exports = { run: () => 0 };\n")
    (tmp_path / "extensions/mysql").mkdir(parents=True)
    (tmp_path / "extensions/mysql/package.json").write_text('{"name": "ghost-cli-mysql", "main": "index.js"}')
    (tmp_path / "extensions/mysql/index.js").write_text("module.exports = class MySQLExtension {};\n")
    result = scan([tmp_path], Config(), select=["S", "R"])
    assert result.services == [] and result.findings == []


def test_a_test_suites_package_is_no_service(tmp_path: Path) -> None:
    """aks-store-demo's `tests/` holds the Playwright suite's package.json: test material, read only
    for the repository rules' evidence, makes no service of its own."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "package.json").write_text('{"name": "e2e", "scripts": {"start": "node run.js"}}\n')
    (tmp_path / "tests" / "run.js").write_text("require('http').createServer().listen(8080);\n")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "api.yaml").write_text(_ASSERTED_DEPLOYMENT.replace("pooler", "api"))
    result = scan([tmp_path], Config(), select=["S001", "K014"])
    assert [s.name for s in result.services] != [] and "tests" not in [s.name for s in result.services]
    assert [f.location.path for f in result.findings] == ["deploy/api.yaml"]



def test_an_image_whose_start_script_steps_down_is_a_warning_without_a_fix() -> None:
    """docker-library's postgres and redis images start as root to give the data folder to the
    server's user, then `exec gosu postgres ...`: the server does not run as root. D001 says so, as
    a warning pointing at the step down, and offers no `USER` edit (the script's chown needs root)."""
    from relcheck.model import Severity

    from .conftest import FIXTURES

    case = FIXTURES / "rules" / "D001" / "fail" / "start-script-steps-down"
    result = scan([case], Config(), select=["D001"], fixes=True)
    (finding,) = result.findings
    assert finding.severity == Severity.WARNING and finding.autofix is None
    assert [(r.location.path, r.location.line) for r in finding.related] == [("docker-entrypoint.sh", 5)]
    assert "fsGroup" in finding.fix
    stays = scan([FIXTURES / "rules" / "D001" / "fail" / "start-script-stays-root"], Config(), select=["D001"])
    assert [f.severity for f in stays.findings] == [Severity.ERROR]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('exec gosu postgres "$BASH_SOURCE" "$@"', ("postgres", "gosu")),
        ('if [ x ]; then exec su-exec redis "$0" "$@"; fi', ("redis", "su-exec")),
        ('exec setpriv --reuid=1000 --regid=1000 --init-groups "$@"', ("1000", "setpriv")),
        ("runuser -u app -- node server.js", ("app", "runuser")),
        ('exec gosu "$APP_USER" "$@"', (None, "gosu")),
        ("exec chpst -u nobody:nogroup nginx", ("nobody:nogroup", "chpst")),
        ("exec gosu root server", None),
        ("exec gosu root:app server", None),
        ("exec gosu 1000:1000 server", ("1000:1000", "gosu")),
        ("echo 'use gosu app'; echo gosu app", None),
        ("find /data -exec gosu app true \\;", None),
        ("# exec gosu app", None),
    ],
)
def test_what_counts_as_a_step_down(line: str, expected: tuple | None) -> None:
    from relcheck.artifacts.start_script import steps_down

    found = steps_down(f"#!/bin/sh\n{line}\n")
    assert (found[:2] if found else None) == expected
    assert found is None or found[2] == 2


def test_a_dockerfile_template_makes_no_service_of_its_folder(tmp_path: Path) -> None:
    """docker-library's repositories (ghost, postgres, redis): `Dockerfile.template` at the root is
    jq's input for `apply-templates.sh`, which writes the images' Dockerfiles into version folders.
    The root is no service asked for a runbook and alert rules; the rendered images are."""
    (tmp_path / "Dockerfile.template").write_text('{{\n  def is_alpine: env.variant | startswith("alpine");\n-}}\n'
                                                  "FROM {{ .variants[env.variant].from }}\n")
    (tmp_path / "apply-templates.sh").write_text("#!/usr/bin/env bash\njq -r -f Dockerfile.template versions.json\n")
    (tmp_path / "6" / "bookworm").mkdir(parents=True)
    (tmp_path / "6" / "bookworm" / "Dockerfile").write_text(
        'FROM node:22-bookworm-slim\nUSER node\nEXPOSE 2368\nCMD ["node", "current/index.js"]\n'
    )
    # A generator's template, named for its engine (vendure's `@vendure/create`): no Dockerfile of its own.
    (tmp_path / "create" / "templates").mkdir(parents=True)
    (tmp_path / "create" / "templates" / "Dockerfile.hbs").write_text("FROM node:20\nCOPY . .\n")
    result = scan([tmp_path], Config(), select=["R001", "E002"])
    assert [s.root for s in result.services] == ["6/bookworm"]
    assert sorted((f.code, f.location.path) for f in result.findings) == [
        ("E002", "Dockerfile.template"), ("E002", "create/templates/Dockerfile.hbs"), ("R001", "6/bookworm/Dockerfile")
    ]


def test_user_root_for_a_start_script_that_steps_down_is_a_warning_without_a_fix() -> None:
    """memos sets `USER root` so that its entrypoint can give the data volume to the server's user,
    then `su-exec`s to it; the script is copied from the build stage, which copied the context."""
    case = Path(__file__).parent / "fixtures" / "rules" / "D001" / "fail" / "user-root-then-steps-down"
    (finding,) = scan([case], Config(), select=["D001"], fixes=True).findings
    assert (finding.severity.label, finding.value) == ("warning", "root, steps down")
    assert [(r.location.path, r.location.line) for r in finding.related] == [("scripts/entrypoint.sh", 4)]
    assert finding.autofix is None


def test_a_code_generators_templates_in_its_source_are_no_services(tmp_path: Path) -> None:
    """amplication's data-service-generator keeps the package.json, Dockerfile and server of the
    services it generates in `src/server/`, which its code reads as data. A repository root whose
    package.json only holds tools (OpenTelemetry's demo) still has its services in `src/`."""
    import json

    generator = tmp_path / "packages" / "generator"
    (generator / "src" / "server" / "package-json").mkdir(parents=True)
    (generator / "src" / "server" / "static").mkdir(parents=True)
    (generator / "package.json").write_text(json.dumps({"name": "generator", "dependencies": {"ejs": "^3"}}))
    (generator / "src" / "main.ts").write_text("import { render } from 'ejs';\nrender('x');\n")
    template = {"name": "server-template", "scripts": {"start": "nest start"}, "dependencies": {"@nestjs/core": "10"}}
    (generator / "src" / "server" / "package-json" / "package.json").write_text(json.dumps(template))
    (generator / "src" / "server" / "package-json" / "create-package-json.ts").write_text("export const x = 1;\n")
    (generator / "src" / "server" / "static" / "Dockerfile").write_text('FROM node:20\nCMD ["node", "dist/main"]\n')
    roots = [s.root for s in scan([tmp_path], Config(), select=["S001"]).services]
    assert roots == ["packages/generator"]
    # A root package.json of tools only: the folders in `src/` are services.
    for path in (generator / "package.json", generator / "src" / "main.ts"):
        path.unlink()
    shutil.move(str(generator / "src"), str(tmp_path / "src"))
    (tmp_path / "package.json").write_text(json.dumps({"name": "demo", "devDependencies": {"markdownlint-cli": "0"}}))
    roots = [s.root for s in scan([tmp_path], Config(), select=["S001"]).services]
    assert roots == ["src/server/package-json", "src/server/static"]


def test_a_module_named_main_deep_in_the_tree_is_not_the_services_entry(tmp_path: Path) -> None:
    """NodeBB: no package.json at the root (it is `install/package.json`, copied at install), a
    top-level `app.js`, and `src/database/mongo/main.js`, a database module. The service-level
    findings go to `app.js`, not to the database module because of its name."""
    (tmp_path / "app.js").write_text("const express = require('express');\nexpress().listen(4567);\n")
    (tmp_path / "src/database/mongo").mkdir(parents=True)
    (tmp_path / "src/database/mongo/main.js").write_text("module.exports.info = async () => ({});\n")
    (tmp_path / "src/routes").mkdir(parents=True)
    (tmp_path / "src/routes/index.js").write_text("module.exports = {};\n")
    result = scan([tmp_path], Config(), select=["S001"])
    (service,) = result.services
    assert service.app.entry == "app.js"
    assert [(f.code, f.location.path) for f in result.findings] == [("S001", "app.js")]


def test_the_browsers_entry_in_a_client_folder_is_not_the_services(tmp_path: Path) -> None:
    """Wekan, a Meteor app: `client/main.js` runs in browsers, `server/main.js` on the server. The
    service-level findings go to the server's entry, not to the browser's because it sorts first."""
    (tmp_path / ".meteor").mkdir()
    (tmp_path / ".meteor" / "release").write_text("METEOR@3.0\n")
    (tmp_path / "client").mkdir()
    (tmp_path / "client" / "main.js").write_text("import './templates.js';\n")
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "main.js").write_text("import { Meteor } from 'meteor/meteor';\nMeteor.startup(() => {});\n")
    (tmp_path / "package.json").write_text('{"name": "wekan", "scripts": {"start": "meteor run"}}')
    (tmp_path / "Dockerfile").write_text('FROM node:22-slim\nCOPY . /build\nCMD ["bash", "/build/entrypoint.sh"]\n')
    result = scan([tmp_path], Config(), select=["S001"])
    (service,) = result.services
    assert service.app.entry == "server/main.js"
    assert [(f.code, f.location.path) for f in result.findings] == [("S001", "server/main.js")]


def test_runtimes_that_handle_sigterm_as_pid1_are_an_info_for_the_orphans_only() -> None:
    """The JVM (without -Xrs) and uvicorn install a SIGTERM handler of their own, so the signal is
    not lost on PID 1: D002 says only that they reap no orphans, as an info. `-Xrs` takes the
    JVM's handler away, and the warning stands; so it does for a Go program with no handler, for
    the requests it cuts (the runtime exits at once)."""
    cases = Path(__file__).parent / "fixtures" / "rules" / "D002" / "fail"
    severities = {
        case: [f.severity.name for f in scan([cases / case], Config(), select=["D002"]).findings]
        for case in ("java-as-pid1", "uvicorn-as-pid1", "java-with-reduced-signals", "go-program-without-handler")
    }
    assert severities == {
        "java-as-pid1": ["INFO"],
        "uvicorn-as-pid1": ["INFO"],
        "java-with-reduced-signals": ["WARNING"],
        "go-program-without-handler": ["WARNING"],
    }


def test_findings_about_code_a_framework_cli_serves_are_at_its_start_script(tmp_path: Path) -> None:
    """A Nuxt 2 app (kube-scheduler-simulator's `web/`) has no entry file of its own: `nuxt start`
    serves it. The service's S findings go to the package.json start script that runs it, not to
    whichever of its source files sorts first."""
    web = tmp_path / "web"
    (web / "api").mkdir(parents=True)
    (web / "package.json").write_text(
        '{\n  "name": "web",\n  "scripts": {\n    "build": "nuxt build",\n    "start": "nuxt start"\n  },\n'
        '  "dependencies": {"nuxt": "^2.17.0", "axios": "^1.6.0"}\n}\n'
    )
    (web / "api" / "APIProviderKeys.ts").write_text("export const PodAPIKey = Symbol('PodAPI');\n")
    (web / "nuxt.config.js").write_text("export default { ssr: true };\n")
    (web / "Dockerfile").write_text(
        "FROM node:20.11-alpine\nWORKDIR /app\nCOPY . .\nRUN yarn install && yarn build\nUSER node\n"
        'EXPOSE 3000\nCMD ["yarn", "start"]\n'
    )
    result = scan([tmp_path], Config(), select=["S001"])
    assert [(f.location.path, f.location.line) for f in result.findings] == [("web/package.json", 5)]


_UNTAGGED_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: api
          image: api
"""


def test_a_tilt_development_environment_is_left_out_with_the_default_excludes(tmp_path: Path) -> None:
    """unkey's `dev/` holds a Tiltfile and the manifests it applies to a developer's cluster (one
    replica, no limits): not what ships. Its Tiltfile is still read, so the image it builds is not
    called untagged in the manifests it deploys from elsewhere. A Tiltfile in a folder named
    otherwise (`k8s/`) sits beside shipped manifests, which stay checked."""
    dev = tmp_path / "dev"
    (dev / "k8s").mkdir(parents=True)
    tiltfile = "docker_build('api', '..')\nk8s_yaml('k8s/api.yaml')\nk8s_yaml('../deploy/api.yaml')\n"
    (dev / "Tiltfile").write_text(tiltfile)
    (dev / "k8s/api.yaml").write_text(_UNTAGGED_DEPLOYMENT)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/api.yaml").write_text(_UNTAGGED_DEPLOYMENT)
    shipped = tmp_path / "k8s"
    shipped.mkdir()
    (shipped / "Tiltfile").write_text("k8s_yaml('worker.yaml')\n")
    (shipped / "worker.yaml").write_text(_UNTAGGED_DEPLOYMENT.replace(": api", ": worker"))

    result = scan([tmp_path], Config(), select=["K014", "K019"])
    assert sorted((f.code, f.location.path) for f in result.findings) == [
        ("K014", "deploy/api.yaml"),
        ("K014", "k8s/worker.yaml"),
        ("K019", "k8s/worker.yaml"),
    ]
    assert result.excluded_by_default == ["dev"]
    assert len(scan([dev], Config(), select=["K014"]).findings) == 1
    assert len(scan([tmp_path], Config(default_excludes=False), select=["K014"]).findings) == 3


@pytest.mark.parametrize(
    ("case", "severity"),
    [("paths-held-elsewhere", "info"), ("route-path-held-elsewhere-beside-literal-ones", "warning")],
)
def test_routes_whose_paths_are_held_elsewhere_soften_s003(case: str, severity: str) -> None:
    """domain-driven-hexagon declares its routes as `@Get(routesV1.user.root)`: no path is written
    out, so S003 cannot tell the health checks are missing and says so as an info. Beside routes it
    did read, one unread route is named but the warning stands."""
    folder = Path(__file__).parent / "fixtures" / "rules" / "S003" / "fail" / case
    (finding,) = scan([folder], Config(), select=["S003"]).findings
    assert finding.severity.label == severity
    assert "could not be read" in finding.message
