/**
 * Runs a kafkajs `pause`, `resume` or `seek` call, and says whether kafkajs took it. While kafkajs restarts a consumer
 * after an error it retries, the consumer has no group state and those calls throw ("Consumer group was not
 * initialized"); the restart begins with nothing paused and nothing sought, so the caller has nothing to undo, and a
 * broker blip must not end its reader. The caller applies what it holds again when the consumer joins, or asks again
 * at its next step.
 */
export function callUnlessRestarting(call: () => void): boolean {
  try {
    call();
    return true;
  } catch {
    return false;
  }
}
