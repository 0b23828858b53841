import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseDockerfile, renderVariant, VARIANTS, type Variant } from '../../support/deploy.js';

/**
 * Every pod (workers and evaluator) is locked down in every variant: plaintext connections are an exception, a root or
 * writable pod is not.
 */
const image = parseDockerfile(readFileSync('deploy/compose/Dockerfile', 'utf8'));

for (const variant of Object.keys(VARIANTS) as Variant[]) {
  const rendered = renderVariant(variant);
  const pods = [
    { name: 'worker', pod: rendered.pod, container: rendered.container },
    { name: 'evaluator', pod: rendered.evaluatorPod, container: rendered.evaluatorContainer },
  ];
  for (const { name, pod, container } of pods)
    describe(`Kubernetes, ${variant}: secured ${name} pod`, () => {
      const effective = { ...pod.securityContext, ...container.securityContext };

      it('non-root (the image’s numeric user), no privilege escalation, no capabilities, runtime-default seccomp', () => {
        assert.equal(effective.runAsNonRoot, true);
        assert.equal(String(effective.runAsUser), image.user.split(':')[0]);
        assert.ok((effective.runAsUser ?? 0) > 0);
        assert.equal(effective.allowPrivilegeEscalation, false);
        assert.notEqual(effective.privileged, true);
        assert.deepEqual(effective.capabilities?.drop, ['ALL']);
        assert.equal(effective.capabilities?.add, undefined);
        assert.equal(effective.seccompProfile?.type, 'RuntimeDefault');
        assert.equal(pod.automountServiceAccountToken, false, 'fraudscore never calls the Kubernetes API');
      });

      it('read-only root filesystem; every writable mount is an explicit, size-limited emptyDir', () => {
        assert.equal(effective.readOnlyRootFilesystem, true);
        for (const mount of container.volumeMounts ?? []) {
          const volume = pod.volumes?.find((v) => v.name === mount.name);
          assert.ok(volume, mount.name);
          if (mount.readOnly) continue;
          assert.ok(volume.emptyDir?.sizeLimit, `${mount.mountPath} is writable: an emptyDir with a sizeLimit`);
        }
        assert.ok(container.volumeMounts?.some((m) => m.mountPath === '/tmp' && !m.readOnly));
      });

      it('Secret files are readable by the pod’s group only (fsGroup), never world-readable', () => {
        for (const volume of pod.volumes ?? []) {
          if (!volume.secret) continue;
          assert.equal(volume.secret.defaultMode, 0o440, volume.name);
          assert.equal(pod.securityContext?.fsGroup, effective.runAsGroup);
        }
      });
    });
}
