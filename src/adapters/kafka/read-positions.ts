/**
 * The next offset to read, per partition, of a reader whose consumer group never commits. Such a group reads its
 * topics from the beginning again after every rejoin (kafkajs's own restart, a rerun after a lost coordinator: the
 * new consumer group has no offsets to resume from), and whatever it counts would be counted twice: `unread` keeps only
 * the messages beyond what was read before.
 */
export class ReadPositions {
  private readonly next = new Map<string, bigint>();

  /** The messages of one partition's batch not read before (in their order), noting them read. */
  unread<M extends { readonly offset: string }>(partitionKey: string, messages: readonly M[]): M[] {
    const from = this.next.get(partitionKey) ?? 0n;
    const fresh = messages.filter((message) => BigInt(message.offset) >= from);
    const last = fresh.at(-1);
    if (last !== undefined) this.next.set(partitionKey, BigInt(last.offset) + 1n);
    return fresh;
  }
}
