import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { topologyFeatureSchema, type Topology } from '../config/index.js';
import {
  abortRollout,
  killSwitchOff,
  killSwitchOn,
  parseSettings,
  pauseRollout,
  promoteRollout,
  resumeRollout,
  rolloutBoundsProblem,
  setBatchWindow,
  settingsProblem,
  startRollout,
  startShadow,
  stopShadow,
  windowProblem,
  type ControlRecord,
  type ControlView,
  type RolloutGateBounds,
  type Transition,
} from '../core/control/index.js';
import { parseModelRef } from '../core/models/ref.js';
import { championToGoBackTo } from '../core/models/way-back.js';
import { appendControl, readControlLog } from '../adapters/kafka/control/index.js';
import { openFsRegistry } from '../adapters/model-registry/index.js';
import { connecting } from '../runtime/startup-errors.js';

/**
 * The operator's side of the control plane: each command reads the control topic, checks what it can (models are
 * verified against the registry before any worker is asked to load them), and appends one record. The workers
 * apply it at their next batch boundary.
 */
export interface ControlOperations {
  view(): Promise<ControlView>;
  setWindow(settings: readonly string[], reason: string): Promise<ControlRecord>;
  killOn(reason: string): Promise<ControlRecord>;
  killOff(reason: string): Promise<ControlRecord>;
  shadowStart(model: string, reason: string): Promise<ControlRecord>;
  shadowStop(reason: string): Promise<ControlRecord>;
  rolloutStart(
    model: string,
    options: {
      plan?: readonly number[];
      stepMs?: number;
      /** Bounds this rollout's gates are judged with in place of the topology's `rollout.gates`. */
      gates?: RolloutGateBounds;
      reason: string;
    },
  ): Promise<ControlRecord>;
  pause(reason: string): Promise<ControlRecord>;
  resume(reason: string): Promise<ControlRecord>;
  /**
   * Skips to 100 %: the challenger becomes champion on the control topic and in the registry. Rejects with
   * ChangeWrittenUnfinished when the record was written but the registry's champion could not be set.
   */
  promote(reason: string): Promise<ControlRecord>;
  abort(reason: string): Promise<ControlRecord>;
  /** The topology's model resolved to `name@version` (the registry's champion when it says `champion`). */
  topologyChampion(): Promise<string>;
  /** The model every worker would serve under the kill switch, given the view. */
  killTarget(view: ControlView): Promise<string>;
}

/**
 * A change written to the control topic, so live on every worker that applies it, whose second half failed:
 * `rollout promote` set the champion there but not in the registry. It carries the record and what to run to finish.
 */
export class ChangeWrittenUnfinished extends Error {
  constructor(
    readonly record: ControlRecord,
    /** Printed after the record: what was not done, and the command that does it. */
    readonly notes: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = 'ChangeWrittenUnfinished';
  }
}

/** The command that sets in the registry the champion a written promotion named (`rollout promote`, `rollout run`). */
export function finishPromotionCommand(record: ControlRecord, registryDir: string): string {
  return `fraudscore models promote ${record.state.champion ?? '?'} --registry ${registryDir}`;
}

/** The promotion is written (the workers serve it); the registry's champion could not be set. */
export function registryChampionNotSet(record: ControlRecord, registryDir: string, problem: string) {
  const champion = record.state.champion ?? '?';
  return new ChangeWrittenUnfinished(
    record,
    [
      `note: the registry's champion was not set (${problem}); finish the promotion with: ` +
        finishPromotionCommand(record, registryDir),
    ],
    `the promotion of ${champion} is live (control version ${record.version}: every worker applies it), but the ` +
      "registry's champion was not updated; run the `fraudscore models promote` command printed above",
  );
}

export interface ControlOperationsOptions {
  readonly actor: string;
  readonly clock?: () => number;
  /** Told when a change found no control topic and created it (the topology's name), whether or not it is made. */
  readonly onControlTopicCreated?: (topology: string) => void;
}

/** The topology's model resolved to `name@version` (the registry's champion when it says `champion`); no Kafka. */
export async function topologyChampionOf(topology: Topology): Promise<string> {
  const shown = await openFsRegistry(topology.model.registry).show(topology.model.name, topology.model.version);
  return `${shown.card.name}@${shown.card.version}`;
}

export function controlOperations(
  topology: Topology,
  kafka: Kafka,
  options: ControlOperationsOptions,
): ControlOperations {
  const clock = options.clock ?? Date.now;
  const registry = openFsRegistry(topology.model.registry);
  const onTopicCreated = () => options.onControlTopicCreated?.(topology.name);
  // Reading and appending reach Kafka: a connection failure is explained as a worker's is (the field and the fix).
  const append = async (reason: string, transition: (view: ControlView) => Transition | Promise<Transition>) =>
    (
      await connecting('kafka', topology, () =>
        appendControl(kafka, topology.name, transition, { actor: options.actor, reason, clock, onTopicCreated }),
      )
    ).record;

  /** A challenger must load and match the feature schema the topology's workers compute before they are asked to. */
  async function verified(text: string): Promise<string> {
    const parsed = parseModelRef(text);
    if (!parsed.ok) throw new Error(parsed.problem);
    const loaded = await registry.load(parsed.ref.name, parsed.ref.version, {
      featureSchema: topologyFeatureSchema(topology),
    });
    return `${loaded.card.name}@${loaded.card.version}`;
  }

  const topologyChampion = () => topologyChampionOf(topology);

  /** The champion serving now: the control state's, else the topology's model (read only when the state has none). */
  async function servingChampion(view: ControlView): Promise<string> {
    return view.state.champion ?? (await topologyChampion());
  }

  async function killTarget(view: ControlView): Promise<string> {
    const champion = await servingChampion(view);
    const parsed = parseModelRef(champion);
    if (!parsed.ok) throw new Error(parsed.problem);
    const shown = await registry.show(parsed.ref.name, parsed.ref.version);
    if (shown.card.rollbackTarget) return verified(shown.card.rollbackTarget);
    // The registry remembers which champion this one replaced: an older one served before, so it is the way back
    // (a newer one is the model a rollback to this one left).
    const previous = championToGoBackTo(await registry.history(parsed.ref.name), parsed.ref.version);
    if (previous) return verified(`${parsed.ref.name}@${previous}`);
    // No older model to go back to: with a challenger live, the champion alone is the safe state.
    if (view.state.challenger) return champion;
    throw new Error(
      `no rollback target for ${champion}: its card names none, the registry's history names no champion it replaced ` +
        'that was registered before it (a later one was rolled back from, never a way back) and no challenger is live; ' +
        'to serve another version, roll it out (`fraudscore rollout start`) and promote it, and register a rollback ' +
        'target (train with --rollback-target) before relying on the kill switch',
    );
  }

  return {
    view: async () => (await connecting('kafka', topology, () => readControlLog(kafka, topology.name))).view,
    setWindow: async (settings, reason) => {
      // A mistyped key or an out-of-range value needs no broker to be told: refused before the control topic is read.
      const problem = settingsProblem(settings);
      if (problem !== null) throw new Error(problem);
      return append(reason, (view) => {
        const parsed = parseSettings(settings, view.state.batch);
        if (!parsed.ok) return { ok: false, problem: parsed.problem };
        const crossed = windowProblem(parsed.window, topology.batch);
        return crossed === null ? setBatchWindow(view.state, parsed.window) : { ok: false, problem: crossed };
      });
    },
    killOn: (reason) =>
      append(reason, async (view) =>
        killSwitchOn(view.state, { target: await killTarget(view), reason, nowMs: clock() }),
      ),
    killOff: (reason) => append(reason, (view) => killSwitchOff(view.state, clock())),
    shadowStart: async (model, reason) => {
      const ref = await verified(model);
      return append(reason, async (view) =>
        startShadow(view.state, { model: ref, champion: await servingChampion(view), salt: newSalt(), nowMs: clock() }),
      );
    },
    shadowStop: (reason) => append(reason, (view) => stopShadow(view.state)),
    rolloutStart: async (model, start) => {
      // A bound out of its range needs neither the registry nor a broker to be told.
      const problem = rolloutBoundsProblem(start.gates);
      if (problem !== null) throw new Error(problem);
      const ref = await verified(model);
      return append(start.reason, async (view) =>
        startRollout(view.state, {
          model: ref,
          champion: await servingChampion(view),
          salt: newSalt(),
          nowMs: clock(),
          plan: start.plan ?? topology.rollout.plan,
          stepMs: start.stepMs ?? topology.rollout.stepMs,
          gates: start.gates,
        }),
      );
    },
    pause: (reason) => append(reason, (view) => pauseRollout(view.state)),
    resume: (reason) => append(reason, (view) => resumeRollout(view.state, clock())),
    promote: async (reason) => {
      const record = await append(reason, (view) => promoteRollout(view.state));
      const champion = parseModelRef(record.state.champion ?? '');
      // Written already: a registry failure must not read as a refusal, the workers apply the promotion regardless.
      try {
        if (champion.ok) await registry.setChampion(champion.ref.name, champion.ref.version);
      } catch (error) {
        throw registryChampionNotSet(record, topology.model.registry, (error as Error).message);
      }
      return record;
    },
    abort: (reason) => append(reason, (view) => abortRollout(view.state)),
    topologyChampion,
    killTarget,
  };
}

function newSalt(): string {
  return randomBytes(8).toString('hex');
}
