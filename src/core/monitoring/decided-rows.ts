/**
 * The records of one batch that one model decided: `rows` are their indices in the batch (scores[i], feature row
 * i); absent when that model decided every record of the batch.
 */
export interface DecidedRows<M> {
  readonly model: M;
  readonly rows?: readonly number[];
}

/**
 * Groups a batch's records by the model that decided each (`records[i].model`, compared by identity: one object per
 * loaded model), in the order the models first decide. A model's drift window must see only the records it scored
 * and published: in a rollout the customers routed to the challenger are its records, not the champion's. When one
 * model decided them all (no challenger live, or one in shadow: the common case) no index list is built.
 */
export function groupByDecider<M>(records: readonly { readonly model: M }[]): DecidedRows<M>[] {
  const first = records[0];
  if (first === undefined) return [];
  if (records.every((record) => record.model === first.model)) return [{ model: first.model }];
  const rowsByModel = new Map<M, number[]>();
  records.forEach((record, index) => {
    const rows = rowsByModel.get(record.model);
    if (rows) rows.push(index);
    else rowsByModel.set(record.model, [index]);
  });
  return [...rowsByModel].map(([model, rows]) => ({ model, rows }));
}
