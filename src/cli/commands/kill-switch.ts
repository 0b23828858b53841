import type { Command } from 'commander';
import { changeOptions, runChange, type ChangeOptions } from './control.js';

export function registerKillSwitchCommand(program: Command): void {
  const kill = program
    .command('kill-switch')
    .description(
      "Every worker switches to the rollback target (the serving model card's, or else the champion a promotion " +
        'of the serving version replaced, never one a rollback left) at its next batch boundary; scores carry ' +
        'KILL_SWITCH_FALLBACK. `off` returns to the state before the kill (a live rollout stage starts over).',
    );
  changeOptions(kill.command('on').description('Flip the kill switch on.')).action((options: ChangeOptions) =>
    runChange(options, ({ ops }) => ops.killOn(options.reason)),
  );
  changeOptions(kill.command('off').description('Return to the state before the kill.')).action(
    (options: ChangeOptions) => runChange(options, ({ ops }) => ops.killOff(options.reason)),
  );
}
