"""A deterministic monorepo of N services for benchmarks: `python bench/generate.py 1000 /tmp/mono`.

Each service gets 9 files (Dockerfile, .dockerignore, three Kubernetes manifests, ecosystem.config.js,
an alert rule file, package.json, src/main.ts). Every third service carries the common mistakes,
so rules have work to do on both paths.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

GOOD_DOCKERFILE = """# syntax=docker/dockerfile:1
FROM node:20.11-alpine AS builder
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:20.11-alpine
RUN apk add --no-cache dumb-init && npm install -g pm2@5.3.1
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY --from=builder --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=40s --retries=3 CMD wget -qO- http://localhost:3000/health/liveness
ENTRYPOINT ["dumb-init", "--"]
CMD ["pm2-runtime", "ecosystem.config.js"]
"""
BAD_DOCKERFILE = """FROM node:latest
WORKDIR /app
COPY . .
RUN npm install && npm run build
EXPOSE 8080
CMD npm start
"""
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
spec:
{replicas}  selector:
    matchLabels: {{app: {name}}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 1, maxUnavailable: {unavailable}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      terminationGracePeriodSeconds: 45
      securityContext: {{runAsNonRoot: true, runAsUser: 1000}}
      topologySpreadConstraints:
        - {{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {{matchLabels: {{app: {name}}}}}}}
        - {{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {{matchLabels: {{app: {name}}}}}}}
      containers:
        - name: app
          image: registry.example.com/{name}:{tag}
          ports: [{{name: http, containerPort: 3000}}]
          env:
            - {{name: PORT, value: "3000"}}
          resources:
            requests: {{cpu: 500m, memory: {request}}}
            limits: {{cpu: "1", memory: 1Gi}}
          securityContext: {{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}}
          startupProbe: {{httpGet: {{path: /health/liveness, port: http}}, periodSeconds: 5, failureThreshold: 12}}
          livenessProbe: {{httpGet: {{path: /health/liveness, port: http}}, periodSeconds: 10, timeoutSeconds: 3}}
          readinessProbe: {{httpGet: {{path: {readiness}, port: http}}, periodSeconds: 5, timeoutSeconds: 3}}
          lifecycle: {{preStop: {{exec: {{command: ["sleep", "5"]}}}}}}
"""
SERVICE = """apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: http}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  minAvailable: {min_available}
  selector: {{matchLabels: {{app: {name}}}}}
"""
HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}
  minReplicas: 3
  maxReplicas: {max_replicas}
  metrics:
    - type: Resource
      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}
"""
ECOSYSTEM = """module.exports = {{
  apps: [
    {{
      name: '{name}',
      script: 'dist/main.js',
      exec_mode: 'cluster',
      instances: {instances},
      node_args: '--max-old-space-size={heap}',
      max_memory_restart: '400M',
      kill_timeout: {kill_timeout},
      wait_ready: true,
      listen_timeout: 10000,
      max_restarts: 10,
      env_production: {{ NODE_ENV: 'production', PORT: 3000 }},
    }},
  ],
}};
"""
ALERTS = """groups:
  - name: {name}
    rules:
      - alert: HighErrorRate
        expr: sum(rate({metric}_http_requests_total{{status=~"5.."}}[5m])) / sum(rate({metric}_http_requests_total[5m])) > 0.05
        for: {for_}
        labels: {{severity: critical}}
        annotations: {{summary: errors, description: "{{{{ $value }}}} errors", runbook_url: "https://runbooks.example.com/{name}"}}
      - alert: ServiceDown
        expr: sum(up{{job="{name}"}}) == 0
        for: 2m
        labels: {{severity: critical}}
        annotations: {{summary: down, description: down}}
"""
MAIN = """import {{ NestFactory }} from '@nestjs/core';
import {{ Controller, Get, Module }} from '@nestjs/common';
import {{ Counter }} from 'prom-client';

export const requests = new Counter({{ name: '{metric}_http_requests_total', help: 'requests' }});

@Controller('health')
class HealthController {{
  @Get('liveness')
  live() {{ return {{ status: 'ok' }}; }}

  @Get('readiness')
  ready() {{ return {{ status: 'ok' }}; }}
}}

@Module({{ controllers: [HealthController] }})
class AppModule {{}}

async function bootstrap(): Promise<void> {{
  const app = await NestFactory.create(AppModule);
  {hooks}
  process.on('uncaughtException', (error) => console.error(error));
  process.on('unhandledRejection', (error) => console.error(error));
  await app.listen(3000);
}}
void bootstrap();
"""


def write_service(root: Path, index: int) -> None:
    name = f"svc-{index:05d}"
    metric = name.replace("-", "_")
    broken = index % 3 == 0
    folder = root / "services" / name
    (folder / "k8s").mkdir(parents=True, exist_ok=True)
    (folder / "src").mkdir(exist_ok=True)
    namespace = f"team-{index % 20:02d}"
    (folder / "Dockerfile").write_text(BAD_DOCKERFILE if broken else GOOD_DOCKERFILE)
    (folder / ".dockerignore").write_text("node_modules\n.git\ndist\n")
    (folder / "k8s" / "deployment.yaml").write_text(
        DEPLOYMENT.format(
            name=name,
            namespace=namespace,
            replicas="  replicas: 2\n" if broken else "",
            unavailable="1" if broken else "0",
            tag="latest" if broken else "1.4.2",
            request="512m" if broken else "512Mi",
            readiness="/health" if broken else "/health/readiness",
        )
    )
    (folder / "k8s" / "service.yaml").write_text(
        SERVICE.format(name=name, namespace=namespace, min_available=1 if broken else 2)
    )
    (folder / "k8s" / "hpa.yaml").write_text(
        HPA.format(name=name, namespace=namespace, max_replicas=5 if broken else 10)
    )
    (folder / "ecosystem.config.js").write_text(
        ECOSYSTEM.format(
            name=name,
            instances="'max'" if broken else 2,
            heap=900 if broken else 256,
            kill_timeout=1600 if broken else 30000,
        )
    )
    (folder / "alerts.yaml").write_text(ALERTS.format(name=name, metric=metric, for_="0m" if broken else "5m"))
    (folder / "package.json").write_text(
        f'{{"name": "{name}", "version": "1.0.{index}", "scripts": {{"start": "node dist/main.js"}}}}\n'
    )
    (folder / "src" / "main.ts").write_text(
        MAIN.format(metric=metric, hooks="" if broken else "app.enableShutdownHooks();")
    )


def generate(count: int, root: Path) -> Path:
    """Write `count` services under `root` (replacing what was there)."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "package.json").write_text('{"name": "monorepo", "private": true, "workspaces": ["services/*"]}\n')
    (root / "RUNBOOK.md").write_text("# Runbook\n")
    for index in range(count):
        write_service(root, index)
    return root


def default_tree() -> Path:
    """The 1,000-service tree the benchmarks share, generated on first use."""
    import tempfile

    tree = Path(tempfile.gettempdir()) / "relcheck-bench" / "mono1000"
    if not (tree / "services").is_dir():
        generate(1000, tree)
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int)
    parser.add_argument("root", type=Path)
    options = parser.parse_args()
    generate(options.count, options.root)
    print(f"wrote {options.count} services ({options.count * 9 + 2} files) under {options.root}")


if __name__ == "__main__":
    main()
