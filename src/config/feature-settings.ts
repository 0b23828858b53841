import { DAY_MS, featureSchemaFor } from '../core/features/definitions.js';
import type { FeatureSchema } from '../core/features/types.js';
import type { Topology } from './topology-schema.js';

type FeatureSettings = Pick<Topology, 'features'>;

/** The label delay d (features.labelDelayDays) that every engine built for the topology runs with, in ms. */
export function labelDelayMsOf(topology: FeatureSettings): number {
  return topology.features.labelDelayDays * DAY_MS;
}

/**
 * The feature schema the topology computes (its engine's, online and in the backfill): the one a model must have
 * been trained on for the topology's workers to load it.
 */
export function topologyFeatureSchema(topology: FeatureSettings): FeatureSchema {
  return featureSchemaFor(labelDelayMsOf(topology));
}
