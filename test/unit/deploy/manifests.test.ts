import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KUBERNETES_VERSIONS,
  manifestFiles,
  parseManifests,
  readYaml,
  renderText,
  validateRendered,
  VARIANTS,
} from '../../support/deploy.js';

/**
 * The Kubernetes manifests are what a cluster with KEDA accepts: each variant renders with kustomize (what
 * `kubectl apply -k` does) and validates strictly against Kubernetes' own schemas and KEDA's CRDs, offline.
 */
describe('Kubernetes manifests validate offline', () => {
  for (const [variant, dir] of Object.entries(VARIANTS)) {
    it(`${variant} (${dir}): renders and validates against Kubernetes ${KUBERNETES_VERSIONS.join(', ')} and KEDA`, () => {
      const text = renderText(dir);
      const kinds = parseManifests(text).map((doc) => doc.kind);
      assert.ok(
        kinds.includes('StatefulSet') &&
          kinds.includes('Deployment') &&
          kinds.includes('ScaledObject') &&
          kinds.includes('Service'),
        kinds.join(),
      );
      const result = validateRendered(text);
      assert.equal(result.status, 0, result.output);
      assert.match(result.output, /resources valid/);
    });
  }

  it('a typo, a wrong type or an unknown KEDA setting fails validation, each named', () => {
    const text = renderText(VARIANTS.secured);
    const broken = text
      .replace('readOnlyRootFilesystem:', 'readOnlyRootFileSystem:')
      .replace(/(kind: StatefulSet[\s\S]*?)replicas: 1\b/, '$1replicas: "one"')
      .replace('lagThreshold:', 'lagTreshold:')
      .replace('  configMapTargetRef:', '  configMapTargetRefs:')
      .replace('parameter: username', 'parameter: user');
    assert.notEqual(broken, text);
    const result = validateRendered(broken);
    assert.equal(result.status, 1, result.output);
    for (const expected of [
      // The first readOnlyRootFilesystem of the rendered text is the evaluator's (kustomize puts Deployments first).
      /Deployment\/fraudscore-card-payments-evaluator: Kubernetes 1\.30\.0: spec\.template\.spec\.containers\.0\.securityContext: .*'readOnlyRootFileSystem' was unexpected/,
      /StatefulSet\/fraudscore-card-payments: Kubernetes 1\.37\.0: spec\.replicas: 'one' is not of type 'integer'/,
      /ScaledObject\/fraudscore-card-payments: spec\.triggers\[0\]\.metadata\.lagTreshold: not a trigger setting/,
      /TriggerAuthentication\/fraudscore-card-payments-kafka: spec: .*'configMapTargetRefs' was unexpected/,
      /TriggerAuthentication\/fraudscore-card-payments-kafka: spec\.secretTargetRef\[0\]\.parameter 'user'/,
    ]) {
      assert.match(result.output, expected);
    }
  });

  it('every YAML file under deploy/k8s is reached by a kustomization, so none escapes validation', () => {
    const files = manifestFiles();
    const reached = new Set<string>();
    for (const file of files.filter((f) => f.endsWith('kustomization.yaml'))) {
      const dir = file.slice(0, -'/kustomization.yaml'.length);
      reached.add(file);
      const kustomization = readYaml<{ resources?: string[]; patches?: { path?: string }[] }>(file);
      for (const entry of [...(kustomization.resources ?? []), ...(kustomization.patches ?? []).map((p) => p.path)]) {
        if (entry) reached.add(`${dir}/${entry}`);
      }
    }
    const orphans = files.filter((file) => !reached.has(file));
    assert.deepEqual(orphans, [], `not part of any kustomization: ${orphans.join(', ')}`);
    assert.ok(files.length >= 8, files.join(', '));
  });
});
