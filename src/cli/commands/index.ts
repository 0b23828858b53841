import type { Command } from 'commander';
import { registerBackfillCommand } from './backfill.js';
import { registerControlCommand } from './control.js';
import { registerDemoCommand } from './demo.js';
import { registerDocsCommand } from './docs.js';
import { registerEvaluateCommand } from './evaluate.js';
import { registerKillSwitchCommand } from './kill-switch.js';
import { registerRolloutCommand } from './rollout.js';
import { registerShadowCommand } from './shadow.js';
import { registerModelsCommand } from './models.js';
import { registerRetrainCommand } from './retrain.js';
import { registerRunCommand } from './run.js';
import { registerSimulateCommand } from './simulate.js';
import { registerStackCommand } from './stack.js';
import { registerStateCommand } from './state.js';
import { registerTopologyCommands } from './topology.js';

/** Each command lives in its own module and registers itself here; this file is the only list of them. */
export function registerCommands(program: Command): void {
  registerRunCommand(program);
  registerTopologyCommands(program);
  registerStackCommand(program);
  registerModelsCommand(program);
  registerRetrainCommand(program);
  registerDemoCommand(program);
  registerSimulateCommand(program);
  registerBackfillCommand(program);
  registerDocsCommand(program);
  registerEvaluateCommand(program);
  registerStateCommand(program);
  registerControlCommand(program);
  registerKillSwitchCommand(program);
  registerShadowCommand(program);
  registerRolloutCommand(program);
}
