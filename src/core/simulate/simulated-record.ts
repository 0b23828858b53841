import type { LabelEvent } from '../contract/events.js';
import type { HostileRecord } from './hostile.js';
import type { SimulatedTransaction } from './records.js';

/** One element of the simulator's merged stream, in simulated-time order. */
export type SimulatedRecord =
  | { readonly kind: 'transaction'; readonly event: SimulatedTransaction }
  | { readonly kind: 'label'; readonly label: LabelEvent }
  | { readonly kind: 'hostile'; readonly record: HostileRecord };
