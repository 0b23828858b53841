import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/**
 * What the deployment tests (test/unit/deploy/) read: the rendered Kubernetes manifests, the Dockerfile, the compose
 * file and the README's measured figures. The checking tools (kustomize, kubernetes-validate, KEDA's CRDs) are
 * installed by deploy/k8s/check/setup.sh, which these helpers run first (a no-op once done).
 */

/** The kustomizations a user applies: the secured default and the plaintext exception. */
export const VARIANTS = { secured: 'deploy/k8s', plaintext: 'deploy/k8s/plaintext' } as const;
export type Variant = keyof typeof VARIANTS;
/** The Kubernetes releases the manifests are validated against: the oldest still supported here and the newest. */
export const KUBERNETES_VERSIONS = ['1.30.0', '1.37.0'] as const;

const TOOLS = '.fraudscore/k8s-check';
let toolsReady = false;

export function checkTools(): { python: string; kustomize: string } {
  if (!toolsReady) {
    // stderr passes through: the first run builds kustomize for a few minutes and says so.
    const setup = spawnSync('bash', ['deploy/k8s/check/setup.sh'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (setup.status !== 0)
      throw new Error(`deploy/k8s/check/setup.sh failed (see its messages above)\n${setup.stdout}`);
    toolsReady = true;
  }
  return { python: join(TOOLS, 'venv/bin/python'), kustomize: join(TOOLS, 'bin/kustomize') };
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly fieldRef?: { readonly fieldPath: string };
    readonly secretKeyRef?: { readonly name: string; readonly key: string };
    readonly configMapKeyRef?: { readonly name: string; readonly key: string };
  };
}
export interface KeyToPath {
  readonly key: string;
  readonly path: string;
}
export interface Volume {
  readonly name: string;
  readonly secret?: { readonly secretName: string; readonly items?: KeyToPath[]; readonly defaultMode?: number };
  readonly configMap?: { readonly name: string; readonly items?: KeyToPath[] };
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
  readonly emptyDir?: { readonly sizeLimit?: string; readonly medium?: string };
}
export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
}
export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  readonly readOnlyRootFilesystem?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly privileged?: boolean;
  readonly capabilities?: { readonly drop?: string[]; readonly add?: string[] };
  readonly seccompProfile?: { readonly type: string };
}
export interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
  readonly periodSeconds?: number;
  readonly failureThreshold?: number;
}
export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly env?: EnvVar[];
  readonly ports?: { readonly name?: string; readonly containerPort: number }[];
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly resources?: {
    readonly requests?: Record<string, string>;
    readonly limits?: Record<string, string>;
  };
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: VolumeMount[];
}
export interface PodSpec {
  readonly containers: Container[];
  readonly volumes?: Volume[];
  readonly securityContext?: SecurityContext;
  readonly automountServiceAccountToken?: boolean;
}
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly annotations?: Record<string, string>;
    readonly labels?: Record<string, string>;
  };
}
export interface StatefulSet extends Manifest {
  readonly spec: {
    readonly serviceName: string;
    readonly replicas: number;
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly template: {
      readonly metadata: { readonly labels: Record<string, string>; readonly annotations?: Record<string, string> };
      readonly spec: PodSpec;
    };
  };
}
export interface Deployment extends Manifest {
  readonly spec: {
    readonly replicas: number;
    readonly strategy?: { readonly type: string };
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly template: {
      readonly metadata: { readonly labels: Record<string, string>; readonly annotations?: Record<string, string> };
      readonly spec: PodSpec;
    };
  };
}
export interface Service extends Manifest {
  readonly spec: {
    readonly clusterIP?: string;
    readonly selector: Record<string, string>;
    readonly ports: { readonly name?: string; readonly port: number; readonly targetPort?: string | number }[];
  };
}
export interface KafkaTrigger {
  readonly type: string;
  readonly authenticationRef?: { readonly name: string; readonly kind?: string };
  readonly metadata: Record<string, string>;
}
export interface ScaledObject extends Manifest {
  readonly spec: {
    readonly scaleTargetRef: { readonly apiVersion?: string; readonly kind?: string; readonly name: string };
    readonly minReplicaCount: number;
    readonly maxReplicaCount: number;
    readonly cooldownPeriod?: number;
    readonly advanced?: {
      readonly horizontalPodAutoscalerConfig?: {
        readonly behavior?: { readonly scaleDown?: { readonly stabilizationWindowSeconds?: number } };
      };
    };
    readonly triggers: KafkaTrigger[];
  };
}
export interface AuthTarget {
  readonly parameter: string;
  readonly name: string;
  readonly key: string;
}
export interface TriggerAuthentication extends Manifest {
  readonly spec: { readonly secretTargetRef?: AuthTarget[]; readonly configMapTargetRef?: AuthTarget[] };
}

/** `kustomize build` of a kustomization directory: the YAML `kubectl apply -k` would send. */
export function renderText(dir: string): string {
  return execFileSync(checkTools().kustomize, ['build', dir], { encoding: 'utf8' });
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
}

/** The rendered resources of a variant, with typed access to the ones the tests look at. */
export function renderVariant(variant: Variant) {
  const docs = parseManifests(renderText(VARIANTS[variant]));
  const one = <T extends Manifest>(kind: string): T => {
    const found = docs.filter((doc) => doc.kind === kind);
    if (found.length !== 1) throw new Error(`${variant}: expected one ${kind}, found ${found.length}`);
    return found[0] as T;
  };
  const statefulSet = one<StatefulSet>('StatefulSet');
  const container = statefulSet.spec.template.spec.containers[0];
  if (!container) throw new Error(`${variant}: the StatefulSet has no container`);
  // The workers' StatefulSet is scaled by KEDA; the one Deployment is the delayed-label evaluator.
  const evaluator = one<Deployment>('Deployment');
  const evaluatorContainer = evaluator.spec.template.spec.containers[0];
  if (!evaluatorContainer) throw new Error(`${variant}: the evaluator's Deployment has no container`);
  return {
    docs,
    statefulSet,
    pod: statefulSet.spec.template.spec,
    container,
    evaluator,
    evaluatorPod: evaluator.spec.template.spec,
    evaluatorContainer,
    service: one<Service>('Service'),
    scaledObject: one<ScaledObject>('ScaledObject'),
    triggerAuthentications: docs.filter((doc) => doc.kind === 'TriggerAuthentication') as TriggerAuthentication[],
  };
}

/** Runs deploy/k8s/check/validate.py on rendered YAML: Kubernetes' schemas (strict) and KEDA's CRDs. */
export function validateRendered(text: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fraudscore-k8s-'));
  try {
    const file = join(dir, 'rendered.yaml');
    writeFileSync(file, text);
    const run = spawnSync(checkTools().python, ['deploy/k8s/check/validate.py', file, ...KUBERNETES_VERSIONS], {
      encoding: 'utf8',
    });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every YAML file under deploy/k8s, except the checking tools' own. */
export function manifestFiles(dir = 'deploy/k8s'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'check' ? [] : manifestFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

export function readYaml<T>(file: string): T {
  return parseYaml(readFileSync(file, 'utf8')) as T;
}

// ---- the Dockerfile

export interface ImageContract {
  readonly workdir: string;
  readonly user: string;
  readonly entrypoint: string[];
  readonly cmd: string[];
  /** Image path -> repository path, from the runtime stage's `COPY --from=build /app/<x> ./<x>` lines. */
  readonly copies: ReadonlyMap<string, string>;
  /** `RUN ln -s <target> <link>` lines of the runtime stage. */
  readonly symlinks: ReadonlyMap<string, string>;
}

/** The runtime (last) stage of a Dockerfile, as far as the tests need it. Exec-form ENTRYPOINT and CMD only. */
export function parseDockerfile(text: string): ImageContract {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  const stages = lines.reduce<string[][]>((acc, line) => {
    if (/^FROM\s/i.test(line)) acc.push([]);
    acc[acc.length - 1]?.push(line);
    return acc;
  }, []);
  const stage = stages[stages.length - 1] ?? [];
  const last = (instruction: string) =>
    [...stage].reverse().find((line) => line.toUpperCase().startsWith(`${instruction} `));
  const execForm = (instruction: string): string[] => {
    const line = last(instruction);
    if (!line) return [];
    const json = line.slice(instruction.length).trim();
    if (!json.startsWith('[')) throw new Error(`${instruction} must be in exec form (a JSON array): ${line}`);
    return JSON.parse(json) as string[];
  };
  const workdir = last('WORKDIR')?.slice('WORKDIR'.length).trim() ?? '/';
  const copies = new Map<string, string>();
  for (const line of stage) {
    const match = /^COPY\s+--from=build\s+\/app\/(\S+)\s+(\S+)$/i.exec(line);
    if (match?.[1] && match[2]) copies.set(resolveIn(workdir, match[2]), match[1]);
  }
  const symlinks = new Map<string, string>();
  for (const line of stage) {
    const match = /^RUN\s+ln\s+-s\s+(\S+)\s+(\S+)$/i.exec(line);
    if (match?.[1] && match[2]) symlinks.set(match[2], match[1]);
  }
  return {
    workdir,
    user: last('USER')?.slice('USER'.length).trim() ?? 'root',
    entrypoint: execForm('ENTRYPOINT'),
    cmd: execForm('CMD'),
    copies,
    symlinks,
  };
}

/** A path as the container sees it: absolute, or relative to the working directory. */
export function resolveIn(workdir: string, path: string): string {
  const absolute = path.startsWith('/') ? path : `${workdir.replace(/\/$/, '')}/${path}`;
  return absolute.replace(/\/\.\//g, '/').replace(/\/\.$/, '');
}

/** The repository file an image path comes from (through the COPY lines), or undefined if it is not in the image. */
export function repoPathInImage(image: ImageContract, path: string): string | undefined {
  for (const [target, source] of image.copies) {
    if (path === target) return source;
    if (path.startsWith(`${target}/`)) return `${source}${path.slice(target.length)}`;
  }
  return undefined;
}

// ---- the README's performance table

/** The cells of the README's performance-table row whose first cell starts with `label`. */
export function performanceRow(readme: string, label: string): string[] {
  const section = readme.split(/^## /m).find((part) => part.startsWith('Performance'));
  if (!section) throw new Error('README.md has no "## Performance" section');
  const row = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, line.endsWith('|') ? -1 : undefined)
        .split('|')
        .map((cell) => cell.trim()),
    )
    .find((cells) => cells[0]?.startsWith(label));
  if (!row) throw new Error(`README.md's performance table has no row starting "${label}"`);
  return row;
}

const MIB_PER_UNIT: Record<string, number> = {
  MiB: 1,
  GiB: 1024,
  MB: 1e6 / 2 ** 20,
  GB: 1e9 / 2 ** 20,
};

/**
 * The measured worker peak RSS in MiB: the bold figure in the "latest figure" cell (the third) of the README's
 * "worker peak RSS" row, e.g. `**545 MiB**`.
 */
export function measuredPeakRssMiB(readme: string): number {
  const cell = performanceRow(readme, 'worker peak RSS')[2] ?? '';
  const match = /\*\*([\d,.]+)\s*(MiB|GiB|MB|GB)\*\*/.exec(cell);
  if (!match?.[1] || !match[2]) throw new Error(`no bold "<n> MiB" figure in the worker peak RSS row: ${cell}`);
  return Number(match[1].replaceAll(',', '')) * (MIB_PER_UNIT[match[2]] as number);
}

/** The measured end-to-end throughput of one worker, events/s: the bold figure of the throughput row. */
export function measuredThroughput(readme: string): number {
  const cell = performanceRow(readme, 'end-to-end worker throughput')[2] ?? '';
  const match = /\*\*([\d,.]+)\s*(k?)\s*events\/s\*\*/.exec(cell);
  if (!match?.[1]) throw new Error(`no bold "<n> events/s" figure in the throughput row: ${cell}`);
  return Number(match[1].replaceAll(',', '')) * (match[2] === 'k' ? 1000 : 1);
}

/** Kubernetes memory quantity (Ki, Mi, Gi or plain bytes) in MiB. */
export function quantityMiB(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!match?.[1]) throw new Error(`not a memory quantity this check understands: ${quantity}`);
  const factor = { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[match[2] as 'Ki' | 'Mi' | 'Gi'] ?? 1 / 2 ** 20;
  return Number(match[1]) * factor;
}
