/**
 * The next offset to read, per partition, of a reader whose consumer group never commits. Such a group reads its
 * topics from the beginning again after every rejoin (kafkajs's own restart, a rerun after a lost coordinator: the
 * new consumer group has no offsets to resume from), and whatever it counts would be counted twice: `unread` keeps only
 * the messages beyond what was read before, and `read` notes them once they have been used. A batch that fails before
 * (the registry unreachable while decoding) is delivered again by kafkajs and used then.
 */
export class ReadPositions {
  private readonly next = new Map<string, bigint>();

  /** The messages of one partition's batch not read before, in their order. */
  unread<M extends { readonly offset: string }>(partitionKey: string, messages: readonly M[]): M[] {
    const from = this.next.get(partitionKey) ?? 0n;
    return messages.filter((message) => BigInt(message.offset) >= from);
  }

  /** Notes `messages` (what unread gave for this partition) read: a later delivery of them is skipped. */
  read(partitionKey: string, messages: readonly { readonly offset: string }[]): void {
    for (const message of messages) {
      const after = BigInt(message.offset) + 1n;
      if (after > (this.next.get(partitionKey) ?? 0n)) this.next.set(partitionKey, after);
    }
  }
}
