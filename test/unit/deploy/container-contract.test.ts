import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { startObservabilityServer } from '../../../src/adapters/observability/http-server.js';
import { parseTopology, type Topology } from '../../../src/config/index.js';
import {
  parseDockerfile,
  readYaml,
  renderVariant,
  repoPathInImage,
  resolveIn,
  VARIANTS,
  type Container,
  type EnvVar,
  type PodSpec,
  type Variant,
} from '../../support/deploy.js';

/**
 * The contract between the image and what runs it. Kubernetes `args` and compose `command` replace the image's CMD
 * and keep its ENTRYPOINT, so each must yield `fraudscore run --topology <a topology inside the image>`; the
 * topology, read with the environment the manifest sets, must listen where the probes and Prometheus look, find its
 * secrets and models where the pod mounts them, and every variable the manifest sets must be one the code reads.
 */
const image = parseDockerfile(readFileSync('deploy/compose/Dockerfile', 'utf8'));
const dockerignore = readFileSync('deploy/compose/Dockerfile.dockerignore', 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));

/** Environment variables the code reads by name (`env['X']`, `process.env.X`) anywhere under src/. */
function variablesReadByCode(dir = 'src'): Set<string> {
  const names = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      for (const name of variablesReadByCode(path)) names.add(name);
    } else if (entry.name.endsWith('.ts')) {
      const text = readFileSync(path, 'utf8');
      for (const match of text.matchAll(/env\[['"]([A-Z][A-Z0-9_]*)['"]\]|process\.env\.([A-Z][A-Z0-9_]*)/g)) {
        names.add((match[1] ?? match[2]) as string);
      }
    }
  }
  return names;
}

/** Variables a topology file reads: its ${NAME} placeholders and its { env: NAME } secret references. */
function variablesReadByTopology(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/\$\{([A-Z0-9_]+)(?::-[^}]*)?\}|\benv:\s*([A-Z][A-Z0-9_]*)/g)) {
    names.add((match[1] ?? match[2]) as string);
  }
  return names;
}

/** Read by Node itself (documented in `node --help`'s environment section), not by our code. */
const NODE_RUNTIME_VARIABLES = new Set(['NODE_EXTRA_CA_CERTS']);

/** What the container runs: the image's ENTRYPOINT, then `args` (or the image's CMD when there are none). */
function commandOf(container: { command?: string[]; args?: string[] }): string[] {
  if (container.command) return [...container.command, ...(container.args ?? [])];
  return [...image.entrypoint, ...(container.args ?? image.cmd)];
}

/** The topology file a `fraudscore run` (or `evaluate`) command names, as a path in the image and in the repository. */
function topologyOf(command: string[], subcommand = 'run'): { inImage: string; inRepo: string } {
  assert.equal(command[0], 'fraudscore', `the command starts with the CLI: ${command.join(' ')}`);
  assert.equal(command[1], subcommand, `the CLI's ${subcommand} command: ${command.join(' ')}`);
  const flag = command.findIndex((arg) => arg === '--topology' || arg === '-t');
  const file = command[flag + 1];
  assert.ok(flag > 1 && file, `${subcommand} needs --topology <file>: ${command.join(' ')}`);
  const inImage = resolveIn(image.workdir, file);
  const inRepo = repoPathInImage(image, inImage);
  assert.ok(inRepo, `${inImage} is not copied into the image (runtime stage COPY lines)`);
  assert.ok(existsSync(inRepo), `${inRepo} (${inImage} in the image) does not exist`);
  const top = inRepo.split('/')[0] as string;
  assert.ok(!dockerignore.includes(top), `${top} is excluded from the build context by the .dockerignore`);
  return { inImage, inRepo };
}

/** The environment a container would see, with values from the API (pod name, Secret keys) stubbed. */
function environmentOf(env: readonly EnvVar[]): Record<string, string> {
  return Object.fromEntries(
    env.map((variable) => {
      if (variable.value !== undefined) return [variable.name, variable.value];
      if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.name')
        return [variable.name, 'fraudscore-card-payments-0'];
      if (variable.valueFrom?.secretKeyRef) return [variable.name, 'from-a-secret'];
      throw new Error(`${variable.name}: a value source this check does not model`);
    }),
  );
}

/** The volume behind `path` in the container, and the path relative to its mount. */
function mountedAt(pod: PodSpec, container: Container, path: string) {
  const mount = (container.volumeMounts ?? [])
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  assert.ok(mount, `nothing is mounted at ${path}`);
  const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
  assert.ok(volume, `volume ${mount.name} is not declared`);
  return { mount, volume, relative: path.slice(mount.mountPath.length + 1) };
}

/** The model registry is mounted read-only at the very directory the topology names. */
function assertRegistryMounted(pod: PodSpec, container: Container, topology: Topology): void {
  const registry = mountedAt(pod, container, resolveIn(image.workdir, topology.model.registry));
  assert.equal(registry.relative, '');
  assert.equal(registry.mount.readOnly, true);
}

/** The secret and CA files a topology reads to connect to Kafka and the registry, and to Redis if asked for. */
function connectionFiles(topology: Topology, to: { redis: boolean }): string[] {
  return [
    topology.kafka.ssl?.caFile,
    topology.kafka.sasl?.password.file,
    topology.schemaRegistry.password?.file,
    to.redis ? topology.redis.password?.file : undefined,
  ].filter((file): file is string => file !== undefined);
}

describe('the image: its entrypoint is the CLI', () => {
  it('ENTRYPOINT ["fraudscore"] resolves to the built CLI, the same file package.json names as the bin', () => {
    assert.deepEqual(image.entrypoint, ['fraudscore']);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
    const link = [...image.symlinks].find(([path]) => path.endsWith('/fraudscore'));
    assert.ok(link, 'a `RUN ln -s <cli> /usr/local/bin/fraudscore` line puts the CLI on PATH');
    assert.equal(link[0], '/usr/local/bin/fraudscore');
    assert.equal(link[1], resolveIn(image.workdir, pkg.bin['fraudscore'] as string));
    assert.ok(repoPathInImage(image, link[1])?.startsWith('dist/'), 'the CLI is in the image (dist/)');
    // Executed directly: the file needs its shebang (tsc keeps it) and the build stage's chmod.
    assert.match(readFileSync('src/cli/main.ts', 'utf8'), /^#!\/usr\/bin\/env node\n/);
    assert.match(readFileSync('deploy/compose/Dockerfile', 'utf8'), /chmod 755 dist\/src\/cli\/main\.js/);
  });

  it('the default CMD is `run` with a topology in the image, and runs as a numeric non-root user', () => {
    topologyOf(commandOf({}));
    assert.match(image.user, /^[1-9]\d*(:\d+)?$/, `USER ${image.user}: numeric (runAsNonRoot checks it) and not 0`);
    // onnxruntime's telemetry would write under $HOME and /tmp, which a read-only root filesystem refuses.
    assert.match(readFileSync('deploy/compose/Dockerfile', 'utf8'), /^ENV ORT_DISABLE_TELEMETRY=1$/m);
  });

  it('the runtime image limits glibc to two malloc arenas (less resident memory at the same throughput)', () => {
    const runtimeStage =
      readFileSync('deploy/compose/Dockerfile', 'utf8')
        .split(/^FROM /m)
        .at(-1) ?? '';
    assert.match(runtimeStage, /^ENV MALLOC_ARENA_MAX=2$/m);
  });

  it('`fraudscore run` takes --topology (the CLI really has the command the manifests call)', () => {
    const help = execFileSync(process.execPath, ['dist/src/cli/main.js', 'run', '--help'], { encoding: 'utf8' });
    assert.match(help, /-t, --topology <file>/);
  });
});

for (const variant of Object.keys(VARIANTS) as Variant[]) {
  describe(`Kubernetes, ${variant}: the pod runs what the image provides`, () => {
    const { pod, container, service, scaledObject, statefulSet, triggerAuthentications } = renderVariant(variant);
    const env = container.env ?? [];
    const command = commandOf(container);
    const { inRepo } = topologyOf(command);
    const topologyText = readFileSync(inRepo, 'utf8');
    const topology: Topology = parseTopology(topologyText, inRepo, environmentOf(env));

    it(`args run ${inRepo}, which validates with the environment the manifest sets`, () => {
      assert.equal(container.command, undefined, 'no `command`: it would replace the entrypoint');
      assert.equal(topology.name, 'card-payments');
      assert.equal(container.image, 'fraudscore:0.1.0');
    });

    it('metrics and probes: the topology listens on all interfaces at the port the probes, Service and annotations use', () => {
      const port = container.ports?.find((p) => p.name === 'metrics');
      assert.ok(port, 'a container port named metrics');
      assert.equal(topology.metrics.port, port.containerPort);
      assert.equal(topology.metrics.host, '0.0.0.0', 'reachable by the kubelet and Prometheus, not only loopback');
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        assert.equal(probe?.httpGet?.port, 'metrics');
      }
      assert.equal(statefulSet.spec.template.metadata.annotations?.['prometheus.io/port'], String(port.containerPort));
      const servicePort = service.spec.ports.find((p) => p.name === 'metrics');
      assert.equal(servicePort?.targetPort, 'metrics');
      assert.equal(servicePort?.port, port.containerPort);
    });

    it('a slow start-up is not a restart: liveness counts only once the endpoint answered the start-up probe', () => {
      const startup = container.startupProbe;
      assert.ok(startup?.httpGet, 'a start-up probe over HTTP');
      assert.equal(startup.httpGet.port, 'metrics');
      assert.equal(startup.httpGet.path, container.livenessProbe?.httpGet?.path, 'the liveness question, asked early');
      // The server answers only after start-up: connections (kafkajs retries an unreachable broker for ~15 s), a model
      // load, verification and warm-up (up to 20 s each, MODEL_LOAD_TIMEOUT_MS), the control topic read to its end.
      const budgetS = (startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3);
      assert.ok(budgetS >= 120, `start-up may take ${budgetS} s before the pod is restarted; at least 120 s`);
    });

    it('a paused worker (batches retried, no commit) is taken out of readiness, not restarted by liveness', async () => {
      const readiness = container.readinessProbe?.httpGet?.path;
      const liveness = container.livenessProbe?.httpGet?.path;
      assert.ok(readiness && liveness, 'both probes, over HTTP');
      // Asked of the server the worker runs, as the runner answers while Redis lags behind or a service is away.
      const http = await startObservabilityServer({
        host: '127.0.0.1',
        port: 0,
        registry: new Registry(),
        health: { unhealthyReason: () => 'no commit for 95 s: score: …', wedgedReason: () => null },
      });
      try {
        const status = async (path: string) => (await fetch(`http://${http.address}${path}`)).status;
        assert.equal(await status(readiness), 503, `readiness ${readiness}: not ready while paused`);
        assert.equal(await status(liveness), 200, `liveness ${liveness}: alive while paused (it resumes by itself)`);
      } finally {
        await http.close();
      }
    });

    it('every variable the manifest sets is read by the code, the topology or Node', () => {
      const known = new Set([...variablesReadByCode(), ...variablesReadByTopology(topologyText)]);
      for (const variable of env) {
        if (NODE_RUNTIME_VARIABLES.has(variable.name)) continue;
        assert.ok(known.has(variable.name), `${variable.name} is set but nothing reads it`);
      }
      assert.equal(environmentOf(env)['FRAUDSCORE_INSTANCE_ID'], 'fraudscore-card-payments-0', 'the pod name');
      const ca = env.find((v) => v.name === 'NODE_EXTRA_CA_CERTS');
      if (ca?.value) assert.equal(mountedAt(pod, container, ca.value).mount.readOnly, true);
    });

    it('the model registry and every secret or CA file the topology reads are mounted read-only where it looks', () => {
      assertRegistryMounted(pod, container, topology);
      const files = connectionFiles(topology, { redis: true });
      if (variant === 'secured') assert.equal(files.length, 4, files.join());
      for (const file of files) {
        const { mount, volume, relative } = mountedAt(pod, container, file);
        assert.equal(mount.readOnly, true, file);
        const items = volume.secret?.items ?? volume.configMap?.items;
        assert.ok(
          items?.some((item) => item.path === relative),
          `${file}: the volume projects ${relative}`,
        );
      }
    });

    it('KEDA watches the consumer group, input topic and brokers the topology uses, with the pod’s credentials', () => {
      const [trigger] = scaledObject.spec.triggers;
      assert.equal(trigger?.type, 'kafka');
      assert.equal(trigger.metadata['consumerGroup'], topology.consumerGroup);
      assert.equal(trigger.metadata['topic'], topology.topics.input);
      assert.equal(trigger.metadata['bootstrapServers'], topology.kafka.brokers.join(','));
      assert.equal(scaledObject.spec.scaleTargetRef.name, statefulSet.metadata.name);
      assert.equal(statefulSet.spec.serviceName, service.metadata.name);
      assert.equal(service.spec.clusterIP, 'None', 'headless');
      assert.deepEqual(service.spec.selector, statefulSet.spec.selector.matchLabels);
      if (!topology.kafka.sasl) {
        assert.equal(trigger.authenticationRef, undefined);
        assert.deepEqual(triggerAuthentications, []);
        assert.equal(trigger.metadata['tls'], undefined);
        return;
      }
      assert.equal(trigger.metadata['tls'], 'enable');
      // KEDA's names for the same mechanisms: scram_sha512, scram_sha256, plaintext.
      const kedaSasl = { 'scram-sha-512': 'scram_sha512', 'scram-sha-256': 'scram_sha256', plain: 'plaintext' };
      assert.equal(trigger.metadata['sasl'], kedaSasl[topology.kafka.sasl.mechanism]);
      const auth = triggerAuthentications.find((a) => a.metadata.name === trigger.authenticationRef?.name);
      assert.ok(auth, `TriggerAuthentication ${trigger.authenticationRef?.name} is shipped`);
      const target = (parameter: string) =>
        [...(auth.spec.secretTargetRef ?? []), ...(auth.spec.configMapTargetRef ?? [])].find(
          (t) => t.parameter === parameter,
        );
      // The same Secret keys and CA as the worker: KEDA and the pods cannot drift apart.
      const username = env.find((v) => v.name === 'FRAUDSCORE_KAFKA_USERNAME')?.valueFrom?.secretKeyRef;
      assert.ok(topologyText.includes('${FRAUDSCORE_KAFKA_USERNAME'), 'the topology takes the user from it');
      assert.deepEqual({ name: target('username')?.name, key: target('username')?.key }, username);
      const password = mountedAt(pod, container, topology.kafka.sasl.password.file as string);
      const passwordItem = password.volume.secret?.items?.find((i) => i.path === password.relative);
      assert.equal(target('password')?.name, password.volume.secret?.secretName);
      assert.equal(target('password')?.key, passwordItem?.key);
      const ca = mountedAt(pod, container, topology.kafka.ssl?.caFile as string);
      assert.equal(target('ca')?.name, ca.volume.configMap?.name);
      assert.equal(target('ca')?.key, ca.volume.configMap?.items?.find((i) => i.path === ca.relative)?.key);
      assert.ok(
        auth.spec.secretTargetRef?.every(
          (t) => t.parameter !== 'password' || t.name === password.volume.secret?.secretName,
        ),
      );
    });
  });
}

/** Whether a label selector selects a pod with these labels. */
function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([name, value]) => labels[name] === value);
}

for (const variant of Object.keys(VARIANTS) as Variant[]) {
  describe(`Kubernetes, ${variant}: the evaluator runs what the image provides, wired as the workers are`, () => {
    const worker = renderVariant(variant);
    const { evaluator, evaluatorPod: pod, evaluatorContainer: container } = worker;
    const env = container.env ?? [];
    const command = commandOf(container);
    const { inRepo } = topologyOf(command, 'evaluate');
    const topologyText = readFileSync(inRepo, 'utf8');
    const topology: Topology = parseTopology(topologyText, inRepo, environmentOf(env));

    it('runs `fraudscore evaluate` on the workers’ image and topology: one replica, the old one stopped first', () => {
      assert.equal(container.command, undefined, 'no `command`: it would replace the entrypoint');
      assert.equal(container.image, worker.container.image);
      assert.equal(inRepo, topologyOf(commandOf(worker.container)).inRepo);
      // The join needs every partition: two evaluators at once would each report on a part of them.
      assert.equal(evaluator.spec.replicas, 1);
      assert.equal(evaluator.spec.strategy?.type, 'Recreate');
      const help = execFileSync(process.execPath, ['dist/src/cli/main.js', 'evaluate', '--help'], { encoding: 'utf8' });
      assert.match(help, /-t, --topology <file>/);
      assert.match(help, /--metrics-port <port>/);
    });

    it('metrics and /healthz: it listens on all interfaces at the port its probes and scrape annotations use', () => {
      const port = container.ports?.find((p) => p.name === 'metrics');
      assert.ok(port, 'a container port named metrics');
      const flag = command.indexOf('--metrics-port');
      // Without the flag `fraudscore evaluate` takes the topology's metrics port + 1.
      assert.equal(flag > 0 ? Number(command[flag + 1]) : topology.metrics.port + 1, port.containerPort);
      assert.equal(topology.metrics.host, '0.0.0.0', 'reachable by the kubelet and Prometheus, not only loopback');
      assert.match(readFileSync('src/cli/commands/evaluate.ts', 'utf8'), /startObservabilityServer\(/);
      const served = readFileSync('src/adapters/observability/http-server.ts', 'utf8');
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        assert.equal(probe?.httpGet?.port, 'metrics');
        assert.ok(
          served.includes(`request.url === '${probe?.httpGet?.path}'`),
          `the server answers ${probe?.httpGet?.path}`,
        );
      }
      const annotations = evaluator.spec.template.metadata.annotations ?? {};
      assert.equal(annotations['prometheus.io/scrape'], 'true');
      assert.equal(annotations['prometheus.io/port'], String(port.containerPort));
    });

    it('its pods are no workers: a label of their own, outside the StatefulSet’s and the Service’s selectors', () => {
      const labels = evaluator.spec.template.metadata.labels;
      assert.equal(labels['app'], 'fraudscore-evaluator', 'what FraudscoreEvaluatorDown selects');
      assert.ok(selects(evaluator.spec.selector.matchLabels, labels));
      assert.ok(!selects(worker.statefulSet.spec.selector.matchLabels, labels));
      assert.ok(!selects(worker.service.spec.selector, labels));
      assert.ok(!selects(evaluator.spec.selector.matchLabels, worker.statefulSet.spec.template.metadata.labels));
    });

    it('sets only variables the workers set, to the same values, and each is read', () => {
      const known = new Set([...variablesReadByCode(), ...variablesReadByTopology(topologyText)]);
      for (const variable of env) {
        assert.ok(NODE_RUNTIME_VARIABLES.has(variable.name) || known.has(variable.name), `${variable.name} is unread`);
        assert.deepEqual(
          variable,
          worker.container.env?.find((v) => v.name === variable.name),
          `${variable.name} as the workers have it`,
        );
      }
    });

    it('mounts read-only the models and the secrets and CA of what it connects to, from the workers’ sources', () => {
      assertRegistryMounted(pod, container, topology);
      const files = connectionFiles(topology, { redis: false });
      if (variant === 'secured') assert.equal(files.length, 3, files.join());
      for (const file of [topology.model.registry, ...files]) {
        const { mount, volume, relative } = mountedAt(pod, container, resolveIn(image.workdir, file));
        assert.equal(mount.readOnly, true, file);
        if (relative) {
          const items = volume.secret?.items ?? volume.configMap?.items;
          assert.ok(
            items?.some((item) => item.path === relative),
            `${file}: the volume projects ${relative}`,
          );
        }
        const same = worker.pod.volumes?.find((v) => v.name === volume.name);
        assert.deepEqual(
          [volume.secret?.secretName, volume.configMap?.name, volume.persistentVolumeClaim?.claimName],
          [same?.secret?.secretName, same?.configMap?.name, same?.persistentVolumeClaim?.claimName],
          `${file}: from the workers' ${volume.name}`,
        );
      }
      // It never connects to Redis: that password stays with the workers.
      const redisPassword = topology.redis.password?.file;
      if (redisPassword) {
        const projected = pod.volumes?.flatMap((v) => v.secret?.items ?? []).map((item) => item.key) ?? [];
        assert.ok(!projected.includes('redis-password'), projected.join());
      }
    });
  });
}

describe('the secured variant is the default and holds no secret', () => {
  const secured = renderVariant('secured');
  const secureTopology = parseTopology(
    readFileSync('topologies/card-payments-secured.yaml', 'utf8'),
    'secured',
    environmentOf(secured.container.env ?? []),
  );

  it('`kubectl apply -k deploy/k8s` is the secured variant: SASL/SCRAM over TLS, HTTPS registry with a user, Redis over TLS with an ACL user', () => {
    assert.equal(VARIANTS.secured, 'deploy/k8s');
    assert.equal(secureTopology.kafka.sasl?.mechanism, 'scram-sha-512');
    assert.equal(secureTopology.kafka.ssl?.rejectUnauthorized, true);
    assert.match(secureTopology.schemaRegistry.url, /^https:\/\//);
    assert.ok(secureTopology.schemaRegistry.username && secureTopology.schemaRegistry.password);
    assert.match(secureTopology.redis.url, /^rediss:\/\//);
    assert.ok(secureTopology.redis.username && secureTopology.redis.password);
  });

  it('no Secret is shipped and no secret is inlined: Secrets are referenced by name only', () => {
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const { docs, container, pod, evaluatorContainer, evaluatorPod } = renderVariant(variant);
      assert.ok(!docs.some((doc) => doc.kind === 'Secret'), `${variant} ships a Secret`);
      for (const variable of [...(container.env ?? []), ...(evaluatorContainer.env ?? [])]) {
        assert.ok(!/PASSWORD|SECRET|TOKEN/.test(variable.name) || variable.value === undefined, variable.name);
      }
      for (const volume of [...(pod.volumes ?? []), ...(evaluatorPod.volumes ?? [])]) {
        assert.ok(!('data' in volume), volume.name);
      }
    }
  });

  it('the secured and plaintext topologies differ only in their connections', () => {
    const plain = parseTopology(readFileSync('topologies/card-payments.yaml', 'utf8'), 'plain', {});
    const rest = ({ kafka: _k, schemaRegistry: _s, redis: _r, metrics: _m, ...others }: Topology) => others;
    assert.deepEqual(rest(secureTopology), rest(plain));
    assert.equal(secureTopology.redis.keyPrefix, plain.redis.keyPrefix);
  });
});

describe('compose: the same image contract', () => {
  const compose = readYaml<{
    services: Record<string, Container & { environment?: Record<string, string | number>; user?: string }>;
  }>('deploy/compose/docker-compose.yml');
  const service = compose.services['fraudscore'];

  it('command is `run` with a topology in the image; its variables are read; metrics listen beyond loopback', () => {
    assert.ok(service);
    const { inRepo } = topologyOf([...image.entrypoint, ...(service.command ?? image.cmd)]);
    const environment = Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value)]),
    );
    const topologyText = readFileSync(inRepo, 'utf8');
    const topology = parseTopology(topologyText, inRepo, environment);
    assert.equal(topology.metrics.host, '0.0.0.0');
    const known = new Set([...variablesReadByCode(), ...variablesReadByTopology(topologyText)]);
    for (const name of Object.keys(environment)) assert.ok(known.has(name), `${name} is set but nothing reads it`);
    assert.equal(service.user, '1000:1000');
  });
});
