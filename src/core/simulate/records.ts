import type { LabelEvent } from '../contract/events.js';
import type { FraudScenario } from './fraud.js';

/**
 * A simulated payment. Like the contract's TransactionEvent, but with the amount in major units as upstream sends
 * it (the pipeline converts to cents), plus its ground truth, which never leaves the simulator except as a label.
 */
export interface SimulatedTransaction {
  /** Position in the run, from 0; the id is derived from it. */
  readonly number: number;
  readonly transactionId: string;
  readonly eventTimeMs: number;
  readonly customerId: string;
  readonly terminalId: string;
  /** Major units with at most 2 decimals (exactly amountMinor / 100). */
  readonly amount: number;
  readonly amountMinor: number;
  readonly currency: string;
  readonly scenario: FraudScenario;
}

/** The transaction as it travels: field names of schemas/transaction.avsc, used as-is for file columns. */
export interface TransactionRecord {
  readonly transaction_id: string;
  readonly event_time: number;
  readonly customer_id: string;
  readonly terminal_id: string;
  readonly amount: number;
  readonly currency: string;
  readonly channel: string | null;
  readonly merchant_category: string | null;
  readonly attributes: Readonly<Record<string, string>>;
}

/** The label as it travels: field names of schemas/label.avsc. */
export interface LabelRecord {
  readonly transaction_id: string;
  readonly is_fraud: boolean;
  readonly reported_at: number;
}

export function toTransactionRecord(event: SimulatedTransaction): TransactionRecord {
  return {
    transaction_id: event.transactionId,
    event_time: event.eventTimeMs,
    customer_id: event.customerId,
    terminal_id: event.terminalId,
    amount: event.amount,
    currency: event.currency,
    // The handbook's simulator has no channel or merchant category; the schema makes both optional.
    channel: null,
    merchant_category: null,
    attributes: {},
  };
}

export function toLabelRecord(label: LabelEvent): LabelRecord {
  return { transaction_id: label.transactionId, is_fraud: label.isFraud, reported_at: label.reportedAtMs };
}
