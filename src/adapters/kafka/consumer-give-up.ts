import type { Consumer } from 'kafkajs';

/**
 * Resolves with the error after which kafkajs gave `consumer` up for good. After an error it does not retry (an
 * authorization failure, a broker that refuses the group's settings), kafkajs stops the consumer, emits CRASH with
 * `restart: false` and never fetches again, while the process and everything else in it go on: a reader that does not
 * listen sits still and looks healthy. Errors kafkajs retries (it restarts the consumer itself) do not resolve it.
 * Call before `run`.
 */
export function consumerGivenUp(consumer: Consumer): Promise<Error> {
  return new Promise((resolve) => {
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      const { error, groupId } = payload;
      // The one a configuration causes: the group's live members chose partitions with another assignor.
      if ((error as { type?: unknown }).type === 'INCONSISTENT_GROUP_PROTOCOL') {
        resolve(
          new Error(
            `${error.message}: another application's consumers use the group id ${groupId} with another partition ` +
              'assignor; give one of them a group id of its own',
            { cause: error },
          ),
        );
      } else resolve(error);
    });
  });
}

/** An error that names the reader which stopped, what it means for its process and kafkajs's reason. */
export class ReaderStoppedError extends Error {
  constructor(reader: string, consequence: string, cause: Error) {
    super(`${reader} stopped for good (${cause.message}): ${consequence}`, { cause });
    this.name = 'ReaderStoppedError';
  }
}

/** consumerGivenUp, said as the reader that stopped and what that means for its process. */
export function readerStopped(consumer: Consumer, reader: string, consequence: string): Promise<ReaderStoppedError> {
  return consumerGivenUp(consumer).then((cause) => new ReaderStoppedError(reader, consequence, cause));
}
