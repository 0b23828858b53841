import { spawn, type ChildProcess } from 'node:child_process';

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Runs `fraudscore run` as a real child process, so a test can SIGKILL it like a crashing pod. */
export function startWorker(topologyFile: string, instanceId: string, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(
    process.execPath,
    ['dist/src/cli/main.js', 'run', '--topology', topologyFile, '--instance-id', instanceId],
    {
      env: { ...process.env, FRAUDSCORE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export async function stopWorker(worker: WorkerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return worker.child.exitCode;
  worker.child.kill(signal);
  return worker.exited;
}
