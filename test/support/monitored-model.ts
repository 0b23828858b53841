import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFsRegistry } from '../../src/adapters/model-registry/index.js';
import { binnedReference } from '../../src/core/monitoring/binning.js';
import type { MonitoringReference } from '../../src/core/monitoring/reference.js';

export const MONITORED_VERSION = 'monitored';

/**
 * A temporary registry holding the demo model (registry/card-fraud@1: same ONNX bytes, same feature schema) under
 * version "monitored", its card given a `monitoring` section. The shipped registry stays untouched: the copy is
 * registered anew, so its SHA-256s are recorded for these bytes. The references are made up (uniform feature bins
 * over 0..100, a score sample spread over [0, 0.2]) -- tests compare the worker with a direct computation, not with
 * a "right" drift figure.
 */
export async function monitoredRegistry(expectations?: MonitoringReference['expectations']): Promise<{
  registry: string;
  monitoring: MonitoringReference;
}> {
  const source = 'registry/card-fraud/1';
  const card = JSON.parse(readFileSync(join(source, 'card.json'), 'utf8')) as Record<string, unknown> & {
    input: { features: string[] };
  };
  const uniform = Array.from({ length: 1001 }, (_, i) => i / 10);
  const sample = Array.from({ length: 2000 }, (_, i) => (0.2 * (i + 0.5)) / 2000);
  const monitoring: MonitoringReference = {
    epsilon: 1e-4,
    features: Object.fromEntries(card.input.features.map((name) => [name, binnedReference(uniform)])),
    score: { bins: binnedReference(sample), sample, rows: 'test' },
    ...(expectations ? { expectations } : {}),
  };
  const monitored = { ...card, version: MONITORED_VERSION, rollbackTarget: null, monitoring };
  const registry = mkdtempSync(join(tmpdir(), 'fraudscore-registry-'));
  await openFsRegistry(registry).register(
    {
      model: readFileSync(join(source, 'model.onnx')),
      card: new TextEncoder().encode(JSON.stringify(monitored, null, 2)),
      cardMd: readFileSync(join(source, 'card.md')),
    },
    { champion: true },
  );
  return { registry, monitoring };
}
