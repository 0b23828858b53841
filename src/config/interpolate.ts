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

export class MissingEnvironmentError extends Error {
  constructor(
    readonly path: string,
    readonly variable: string,
  ) {
    super(
      `${path}: environment variable ${variable} is not set and has no default; set it or write \${${variable}:-value}`,
    );
    this.name = 'MissingEnvironmentError';
  }
}

export function interpolateEnv(tree: unknown, env: Readonly<Record<string, string | undefined>>, path = ''): unknown {
  if (typeof tree === 'string') {
    return tree.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      throw new MissingEnvironmentError(path || '(root)', name);
    });
  }
  if (Array.isArray(tree)) return tree.map((item, index) => interpolateEnv(item, env, `${path}[${index}]`));
  if (tree !== null && typeof tree === 'object') {
    return Object.fromEntries(
      Object.entries(tree).map(([key, value]) => [key, interpolateEnv(value, env, path ? `${path}.${key}` : key)]),
    );
  }
  return tree;
}
