import type { Scorer } from '../adapters/onnx/onnx-scorer.js';
import type { MonitoringReference } from '../core/monitoring/reference.js';

/** A loaded, verified model version ready to score. */
export interface ServingModel {
  readonly name: string;
  readonly version: string;
  readonly featureSchemaVersion: string;
  /** `name@version` the card names to fall back to (the kill switch's target), if any. */
  readonly rollbackTarget?: string | null;
  readonly scorer: Scorer;
  /** The card's drift references (absent on cards written before the trainer computed them). */
  readonly monitoring?: MonitoringReference;
}
