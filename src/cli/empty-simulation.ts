import type { EmptyRunCause } from '../core/simulate/index.js';

const count = (n: number): string => n.toLocaleString('en-US');
const days = (n: number): string => `${count(n)} ${n === 1 ? 'day' : 'days'}`;

/** Who has a terminal in reach, as a sentence's subject with its verb: "only 1 of the 10 customers has". */
function inReach(customersInReach: number, customers: number): string {
  if (customersInReach < customers) {
    return `only ${count(customersInReach)} of the ${count(customers)} customers ${customersInReach === 1 ? 'has' : 'have'}`;
  }
  return customers === 1 ? 'the only customer has' : `all ${count(customers)} customers have`;
}

/**
 * What `simulate` says when a run generated no transaction, and so wrote no record at all: the cause, and the flag
 * that changes it. Without it the command would end "simulated 0 transactions" with empty files and exit 0, and
 * whatever reads them next (a backfill, a training run) would fail far from the reason.
 */
export function emptySimulationMessage(cause: EmptyRunCause, output: readonly string[]): string {
  const written = `no record was written (${output.join(', ')})`;
  if (cause.kind === 'no-payment-drawn') {
    return (
      `no transaction generated: ${inReach(cause.customersInReach, cause.customers)} a terminal in reach, and ` +
      `made no payment in ${days(cause.days)} (a customer makes 0 to 4 a day on average); give more --days or ` +
      `--customers (or --terminals, so that more customers have one in reach); ${written}`
    );
  }
  const advice =
    cause.terminalsForMostCustomers === null
      ? 'give more --terminals'
      : `give more --terminals (from about ${count(cause.terminalsForMostCustomers)}, most customers have one in ` +
        'reach, whatever --customers)';
  return (
    `no transaction generated: no customer has a terminal in reach (--customers ${count(cause.customers)}, ` +
    `--terminals ${count(cause.terminals)}), and customers pay only at terminals within ${cause.radius} of them ` +
    `on the ${cause.mapSize} x ${cause.mapSize} map, as in the handbook; ${advice}; ${written}`
  );
}
