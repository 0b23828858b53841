import { issuePath } from '../core/validation/index.js';

/**
 * Replaces ${NAME} and ${NAME:-default} in every string of a parsed config tree.
 * Done after YAML parsing, on values only, so an environment value can never inject YAML structure.
 */
const PLACEHOLDER = /\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g;

/** The placeholders a string holds: each variable's name and whether it has a default. */
export function placeholdersIn(text: string): { readonly variable: string; readonly hasDefault: boolean }[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => ({
    variable: match[1] as string,
    hasDefault: match[2] !== undefined,
  }));
}

/** A ${NAME} without a default whose variable is unset or empty, and the field (`kafka.brokers.0`) that uses it. */
export interface MissingVariable {
  readonly path: string;
  readonly variable: string;
}

/** Every missing variable of a tree at once: whoever sets them up should not learn of them one start at a time. */
export class MissingEnvironmentError extends Error {
  /** One line per missing variable and field, in the order of the file. */
  readonly problems: readonly string[];

  constructor(readonly missing: readonly MissingVariable[]) {
    const problems = missing.map(
      ({ path, variable }) =>
        `${path}: environment variable ${variable} is not set and has no default; set it or write \${${variable}:-value}`,
    );
    super(problems.join('\n'));
    this.name = 'MissingEnvironmentError';
    this.problems = problems;
  }
}

/** Throws MissingEnvironmentError naming every variable that is missing, each with the field that uses it. */
export function interpolateEnv(tree: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  const missing: MissingVariable[] = [];
  const result = substitute(tree, env, [], missing);
  if (missing.length > 0) throw new MissingEnvironmentError(missing);
  return result;
}

function substitute(
  tree: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path: readonly PropertyKey[],
  missing: MissingVariable[],
): unknown {
  if (typeof tree === 'string') {
    return tree.replace(PLACEHOLDER, (match, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      // Paths are written as the validation messages write them (issuePath), so one file's problems read alike.
      const where = issuePath({ path });
      if (!missing.some((m) => m.path === where && m.variable === name)) missing.push({ path: where, variable: name });
      return match;
    });
  }
  if (Array.isArray(tree)) return tree.map((item, index) => substitute(item, env, [...path, index], missing));
  if (tree !== null && typeof tree === 'object') {
    return Object.fromEntries(
      Object.entries(tree).map(([key, value]) => [key, substitute(value, env, [...path, key], missing)]),
    );
  }
  return tree;
}
