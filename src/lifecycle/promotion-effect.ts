import type { ControlView } from '../core/control/index.js';
import { CHAMPION } from '../core/models/ref.js';

/** What a topology's workers serve, as far as a registry promotion is concerned. */
export interface PromotionTarget {
  readonly topologyName: string;
  /** As the user named it, for the commands suggested. */
  readonly topologyFile: string;
  /** The topology's `model`: a version, or `champion` (follow the registry's champion). */
  readonly model: { readonly name: string; readonly version: string };
  readonly view: ControlView;
}

/**
 * What `models promote <name>@<version>` changes for the workers of one topology, in one sentence each: the registry's
 * champion is only the topology file's default, so a pinned version, a champion named on the control topic (a finished
 * rollout, `control set-champion`) or the kill switch keep the workers where they are. Pure: the caller reads the
 * topology and the control topic.
 */
export function promotionEffect(
  promoted: { readonly name: string; readonly version: string },
  target: PromotionTarget,
): string {
  const ref = `${promoted.name}@${promoted.version}`;
  const { topologyName, topologyFile, model, view } = target;
  const { state } = view;
  if (model.name !== promoted.name) {
    return `${topologyName} serves model ${model.name}, not ${promoted.name}: its workers do not change`;
  }
  if (model.version !== CHAMPION) {
    return (
      `${topologyName} pins model.version ${model.version}: its workers do not follow the registry's champion and ` +
      `do not change (to roll ${ref} out to them: fraudscore rollout start ${ref} -t ${topologyFile})`
    );
  }
  if (state.killSwitch.on) {
    return (
      `the kill switch of ${topologyName} is on: its workers serve ${state.killSwitch.target ?? 'the rollback target'} ` +
      `until it is turned off, then ${state.champion ?? ref}`
    );
  }
  if (state.champion === ref) {
    return `the control topic of ${topologyName} already names ${ref} as champion: its workers serve it`;
  }
  if (state.champion !== null) {
    return (
      `the control topic of ${topologyName} names ${state.champion} as champion (control version ${view.version}), ` +
      `which wins over the registry's: its workers keep serving it (to roll ${ref} out to them: fraudscore rollout ` +
      `start ${ref} -t ${topologyFile})`
    );
  }
  const rollout = state.challenger;
  const during =
    rollout === null
      ? ''
      : ` (a ${rollout.mode} of ${rollout.model} is under way: ${ref} takes the champion's part of it, and ` +
        `${rollout.model} is compared with ${ref} from then on)`;
  return `the workers of ${topologyName} follow within seconds: ${ref} from their next batch boundary${during}`;
}
