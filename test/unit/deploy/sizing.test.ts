import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseTopology } from '../../../src/config/index.js';
import {
  measuredPeakRssMiB,
  parseDockerfile,
  repoPathInImage,
  resolveIn,
  measuredThroughput,
  performanceRow,
  quantityMiB,
  readYaml,
  renderVariant,
  VARIANTS,
  type Variant,
} from '../../support/deploy.js';

/**
 * Requests, limits and the scaling threshold come from measurements (README, Performance) plus stated margins, and
 * follow them: when a new measurement lands in the README, these fail until the manifests are re-derived.
 */
const readme = readFileSync('README.md', 'utf8');
const ceil32 = (mib: number) => Math.ceil(mib / 32) * 32;

describe("the README's measured figures, as these checks read them", () => {
  it('parses the marked rows: worker peak RSS and end-to-end worker throughput', () => {
    const table = (rss: string, throughput: string) =>
      `## Performance\n\n| benchmark | command | latest figure | target |\n|---|---|---|---|\n` +
      `| end-to-end worker throughput (decode → …) | x | ${throughput} (stage means …) | ≥ 20,000 events/s |\n` +
      `| worker peak RSS | same | ${rss} | ≤ 200 MB |\n\n## Versions\n`;
    assert.equal(measuredPeakRssMiB(table('**545 MiB**', '**9,300 events/s**')), 545);
    assert.equal(measuredPeakRssMiB(table('**1.5 GiB**', '**9,300 events/s**')), 1536);
    assert.ok(Math.abs(measuredPeakRssMiB(table('**190 MB**', '**9,300 events/s**')) - 181.2) < 0.1);
    assert.equal(measuredThroughput(table('**545 MiB**', '**14,800 events/s**')), 14_800);
    assert.equal(measuredThroughput(table('**545 MiB**', '**15.2k events/s**')), 15_200);
    assert.throws(() => measuredPeakRssMiB(table('545 MiB', '**9,300 events/s**')), /no bold/);
    assert.throws(() => performanceRow('## Performance\n| a | b |\n', 'worker peak RSS'), /no row starting/);
  });

  it('finds both figures in the README as it stands', () => {
    assert.ok(measuredPeakRssMiB(readme) > 0);
    assert.ok(measuredThroughput(readme) > 0);
  });
});

describe("the manifests' comments cite the README's figures as they stand", () => {
  const commentsOf = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trimStart().startsWith('#'))
      .join('\n');

  it('every events/s figure the ScaledObject explains lagThreshold with is in the README row, the annotated one too', () => {
    const row = performanceRow(readme, 'end-to-end worker throughput')[2] ?? '';
    const file = 'deploy/k8s/secured/keda-scaledobject.yaml';
    const cited = [...commentsOf(file).matchAll(/([\d,]+) events\/s/g)].map((m) => m[1] as string);
    assert.ok(cited.length > 0, `${file} cites the measured throughput`);
    for (const figure of cited) assert.ok(row.includes(`${figure} events/s`), `${figure} events/s: not in the README`);
    const annotated = readYaml<{ metadata: { annotations: Record<string, string> } }>(file).metadata.annotations[
      'fraudscore.io/worker-throughput-events-per-second'
    ];
    assert.ok(cited.includes(Number(annotated).toLocaleString('en-US')), `${annotated} is the figure cited`);
  });

  it("the StatefulSet's memory comment cites the README's latest peak RSS", () => {
    const peak = measuredPeakRssMiB(readme);
    assert.match(commentsOf('deploy/k8s/secured/statefulset.yaml'), new RegExp(`README's latest figure, ${peak} MiB`));
  });
});

for (const variant of Object.keys(VARIANTS) as Variant[]) {
  describe(`Kubernetes, ${variant}: sized from the measurements`, () => {
    const { statefulSet, container, scaledObject } = renderVariant(variant);
    const annotations = statefulSet.metadata.annotations ?? {};

    it('memory: request = stated peak, limit = peak + stated headroom (rounded up to 32 Mi)', () => {
      const peak = quantityMiB(annotations['fraudscore.io/measured-peak-rss'] ?? '');
      const headroom = Number(annotations['fraudscore.io/memory-headroom-percent']);
      assert.ok(headroom >= 10, `a stated headroom of at least 10 % (${headroom})`);
      assert.equal(quantityMiB(container.resources?.requests?.['memory'] ?? ''), ceil32(peak));
      assert.equal(quantityMiB(container.resources?.limits?.['memory'] ?? ''), ceil32(peak * (1 + headroom / 100)));
    });

    it("memory: the README's measured peak RSS plus the headroom fits under the limit", () => {
      const limit = quantityMiB(container.resources?.limits?.['memory'] ?? '');
      const headroom = Number(annotations['fraudscore.io/memory-headroom-percent']);
      const measured = measuredPeakRssMiB(readme);
      assert.ok(
        measured * (1 + headroom / 100) <= limit,
        `README's worker peak RSS ${measured.toFixed(0)} MiB + ${headroom} % = ` +
          `${(measured * (1 + headroom / 100)).toFixed(0)} MiB exceeds the limit ${limit} Mi: an OOM kill under load. ` +
          `Set fraudscore.io/measured-peak-rss to the new figure and re-derive request and limit (deploy/k8s/secured/statefulset.yaml)`,
      );
      assert.ok(measured <= limit);
    });

    it('lagThreshold = stated per-worker throughput × stated backlog seconds; the throughput is not above the measured one', () => {
      const throughput = Number(
        scaledObject.metadata.annotations?.['fraudscore.io/worker-throughput-events-per-second'],
      );
      const backlog = Number(scaledObject.metadata.annotations?.['fraudscore.io/backlog-seconds-per-worker']);
      assert.ok(throughput > 0 && backlog > 0 && backlog <= 120, `${throughput} events/s, ${backlog} s`);
      const [trigger] = scaledObject.spec.triggers;
      assert.equal(Number(trigger?.metadata['lagThreshold']), throughput * backlog);
      const measured = measuredThroughput(readme);
      assert.ok(
        throughput <= measured,
        `the threshold assumes ${throughput} events/s per worker but the README measures ${measured}: ` +
          'KEDA would scale out too late; re-derive lagThreshold (deploy/k8s/secured/keda-scaledobject.yaml)',
      );
    });

    it('scale-in waits the scale-down stabilization stated on the ScaledObject, the figure the README gives', () => {
      // KEDA's cooldownPeriod only governs scaling to 0; from N workers to fewer the HPA KEDA manages decides.
      assert.ok(scaledObject.spec.minReplicaCount >= 1);
      assert.equal(scaledObject.spec.cooldownPeriod, undefined, 'inert above 0 replicas: it would only mislead');
      const window =
        scaledObject.spec.advanced?.horizontalPodAutoscalerConfig?.behavior?.scaleDown?.stabilizationWindowSeconds;
      assert.ok(window !== undefined && window > 0, 'stated, not left to the HPA default');
      const said = `Scale-in waits for the HPA's scale-down stabilization window, ${window} s`;
      assert.match(readme, new RegExp(said.replaceAll(' ', '\\s+')), said);
      assert.doesNotMatch(readme, /cooldownPeriod/);
    });

    it('replicas equal KEDA’s minReplicaCount; maxReplicaCount does not exceed the input partitions', () => {
      assert.equal(statefulSet.spec.replicas, scaledObject.spec.minReplicaCount);
      assert.ok(scaledObject.spec.minReplicaCount >= 1);
      const image = parseDockerfile(readFileSync('deploy/compose/Dockerfile', 'utf8'));
      const file = repoPathInImage(image, resolveIn(image.workdir, container.args?.[2] ?? '')) ?? '';
      const topology = parseTopology(readFileSync(file, 'utf8'), file, {
        FRAUDSCORE_KAFKA_BROKERS: 'k:1',
        FRAUDSCORE_REGISTRY_URL: 'https://r/apis/ccompat/v7',
        FRAUDSCORE_REDIS_URL: 'rediss://r:1',
      });
      assert.ok(scaledObject.spec.maxReplicaCount <= topology.topics.partitions);
      assert.ok(scaledObject.spec.maxReplicaCount >= scaledObject.spec.minReplicaCount);
    });
  });
}
