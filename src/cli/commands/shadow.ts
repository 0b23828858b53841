import type { Command } from 'commander';
import { changeOptions, runChange, type ChangeOptions } from './control.js';

export function registerShadowCommand(program: Command): Command {
  const shadow = program
    .command('shadow')
    .description(
      'Shadow a challenger: every record is scored by the champion (which decides) and the challenger (logged in ' +
        'shadow_scores), in the same batch and transaction.',
    );
  changeOptions(
    shadow
      .command('start')
      .description('Start shadowing <name>@<version> (verified against the registry first).')
      .argument('<model>', 'name@version, e.g. card-fraud@2'),
    false,
  ).action((model: string, options: ChangeOptions) =>
    runChange(options, ({ ops }) => ops.shadowStart(model, options.reason)),
  );
  changeOptions(shadow.command('stop').description('Stop the shadow.'), false).action((options: ChangeOptions) =>
    runChange(options, ({ ops }) => ops.shadowStop(options.reason)),
  );
  return shadow;
}
