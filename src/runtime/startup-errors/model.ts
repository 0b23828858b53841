import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Topology } from '../../config/index.js';
import { resolvedPath } from '../../config/resolved-path.js';
import { ModelRejection, RegistryRefusal } from '../../core/models/index.js';
import { ModelRegistryError } from '../../adapters/model-registry/index.js';
import { OnnxModelError } from '../../adapters/onnx/onnx-scorer.js';
import type { ErrorLike } from './describe.js';
import { StartupError, StartupErrorCode } from './error.js';

// The registry's layout: <dir>/<name>/registry.json lists the versions of model <name>.
const INDEX_FILE = 'registry.json';

function modelNames(dir: string): string {
  try {
    const names = readdirSync(dir).filter((entry) => existsSync(join(dir, entry, INDEX_FILE)));
    return names.sort().join(', ') || 'none';
  } catch {
    return 'none';
  }
}

/**
 * A model that cannot be loaded: the registry path holds no registry (typically a relative path read from another
 * working directory), cannot be read, does not hold the model or the version, holds one the registry refuses to
 * serve (SHA-256 or feature-schema mismatch), or one onnxruntime cannot score as its card describes. `cwd` resolves a relative model.registry, as the store does.
 */
export function explainModel(
  errors: readonly ErrorLike[],
  topology: Topology,
  cwd: string = process.cwd(),
): StartupError | undefined {
  const { registry, name, version } = topology.model;
  const dir = resolve(cwd, registry);
  const ref = `${name}@${version}`;
  const where = resolvedPath(registry, cwd);
  const e = errors[0];
  if (!e) return undefined;
  if (e instanceof OnnxModelError) {
    return new StartupError(
      StartupErrorCode.ModelRefused,
      'model.version',
      `refusing to serve model ${ref} from the registry at ${where}: ${e.message} — the registered model.onnx is not one onnxruntime can score as its card describes; set model.version to another version (\`fraudscore models list\`), or register the model the trainer exported with its card`,
    );
  }
  if (!(e instanceof ModelRegistryError)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (!code || !/^E[A-Z]+$/.test(code)) return undefined;
    return new StartupError(
      StartupErrorCode.ModelRegistryUnreadable,
      'model.registry',
      `cannot read model ${ref} from the registry at ${where} (${code}); model.registry must be a directory this user can read, laid out as <name>/${INDEX_FILE} and <name>/<version>/model.onnx by \`fraudscore models register\``,
    );
  }
  const message = e.message.replace(/\s*\n\s*/g, '; ');
  if (e.code === RegistryRefusal.NotFound) {
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      return new StartupError(
        StartupErrorCode.ModelRegistryMissing,
        'model.registry',
        `no model registry at ${where}, so model ${ref} cannot be loaded; ` +
          (isAbsolute(registry)
            ? "check model.registry's path"
            : "run fraudscore from the directory model.registry is relative to (the project root for the shipped topologies) or set it to the registry's absolute path"),
      );
    }
    if (!existsSync(join(dir, name, INDEX_FILE))) {
      return new StartupError(
        StartupErrorCode.ModelNotFound,
        'model.name',
        `no model named ${name} in the registry at ${where} (models: ${modelNames(dir)}); set model.name to one of them, or register one with \`fraudscore models register --dir <dir>\``,
      );
    }
    return new StartupError(
      StartupErrorCode.ModelVersionNotFound,
      'model.version',
      `${message} in the registry at ${where}; set model.version to one of those versions or to "champion"`,
    );
  }
  if (e.code === RegistryRefusal.NoChampion) {
    return new StartupError(
      StartupErrorCode.ModelVersionNotFound,
      'model.version',
      `${message}, or set model.version to a registered version (\`fraudscore models list\`)`,
    );
  }
  const trainedElsewhere =
    e.code === ModelRejection.FeatureSchemaMismatch || e.code === ModelRejection.FeatureOrderMismatch;
  return new StartupError(
    StartupErrorCode.ModelRefused,
    trainedElsewhere ? 'model.version' : 'model.registry',
    `refusing to serve model ${ref} from the registry at ${where}: ${message}`,
  );
}
