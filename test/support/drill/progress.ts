import { AssignerProtocol, type Admin } from 'kafkajs';
import { testKafka } from '../stack.js';

export interface GroupMember {
  readonly memberId: string;
  readonly partitions: readonly number[];
}

/**
 * What the pipeline's consumer group has committed, seen from outside: the sum of its committed input offsets
 * (each transaction commits the offsets with the outputs, so this is the committed progress) and who owns which
 * partition. Every call tolerates a broker that is away: it answers undefined instead of throwing.
 */
export class GroupWatch {
  private admin: Admin | undefined;

  constructor(
    private readonly groupId: string,
    private readonly inputTopic: string,
  ) {}

  private async connected(): Promise<Admin> {
    if (!this.admin) {
      const admin = testKafka().admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  private async attempt<T>(operation: (admin: Admin) => Promise<T>): Promise<T | undefined> {
    try {
      return await operation(await this.connected());
    } catch {
      // A broker restart breaks the admin's connections: start again with a new client on the next call.
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
      return undefined;
    }
  }

  /** Sum over input partitions of the group's committed offset (records committed), or undefined. */
  committed(): Promise<number | undefined> {
    return this.attempt(async (admin) => {
      const [topic] = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.inputTopic] });
      return (topic?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    });
  }

  /** Records in the input topic (sum of high watermarks), or undefined. */
  inputEnd(): Promise<number | undefined> {
    return this.attempt(async (admin) =>
      (await admin.fetchTopicOffsets(this.inputTopic)).reduce((sum, p) => sum + Number(p.high), 0),
    );
  }

  /** Members of a stable group with their input partitions; undefined while rebalancing or unreachable. */
  members(): Promise<GroupMember[] | undefined> {
    return this.attempt(async (admin) => {
      const { groups } = await admin.describeGroups([this.groupId]);
      const group = groups[0];
      if (!group || group.state !== 'Stable') return undefined;
      return group.members.map((member) => {
        const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        return { memberId: member.memberId, partitions: [...(assignment?.assignment[this.inputTopic] ?? [])] };
      });
    });
  }

  /** Polls `probe` until `accept` holds; resolves with the accepted value, or throws after timeoutMs. */
  async waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    accept: (value: T) => boolean,
    timeoutMs: number,
    pollMs = 50,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined && accept(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}
