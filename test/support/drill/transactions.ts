import { STACK } from '../stack.js';
import type { StackControl } from './stack-control.js';

/**
 * The transaction coordinator's state of a transactional id, right after its producer was killed and before its
 * successor (same id) aborts or completes what was left: where the kill landed.
 *   Ongoing        outputs or offsets were being added: killed mid-batch, inside its transaction
 *   PrepareCommit  the commit was requested: killed mid-commit (the coordinator finishes it)
 *   PrepareAbort   an abort was requested
 *   CompleteCommit, CompleteAbort, Empty   between transactions (scoring, waiting for records, starting up)
 */
export async function transactionState(stack: StackControl, transactionalId: string): Promise<string> {
  try {
    const out = await stack.kafkaTool(
      'org.apache.kafka.tools.TransactionsCommand',
      '--bootstrap-server',
      STACK.brokers.join(','),
      'describe',
      '--transactional-id',
      transactionalId,
    );
    // Never used (killed while starting): the coordinator does not know the id.
    if (/could not be found|does not exist/i.test(out)) return 'none';
    const [header, row] = out.trim().split('\n');
    const columns = (header ?? '').trim().split(/\s+/);
    const values = (row ?? '').trim().split(/\s+/);
    return values[columns.indexOf('TransactionState')] ?? 'unknown';
  } catch (error) {
    return /could not be found|does not exist/i.test((error as Error).message) ? 'none' : 'unknown';
  }
}

/** Where a kill landed, from the coordinator's state. */
export function killPhase(state: string): 'mid-transaction' | 'mid-commit' | 'between transactions' | 'unknown' {
  switch (state) {
    case 'Ongoing':
      return 'mid-transaction';
    case 'PrepareCommit':
    case 'PrepareAbort':
      return 'mid-commit';
    case 'CompleteCommit':
    case 'CompleteAbort':
    case 'Empty':
    case 'none':
      return 'between transactions';
    default:
      return 'unknown';
  }
}
