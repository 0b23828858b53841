import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'training/.venv/**', '.fraudscore/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The core decides; it never performs I/O. Adapters, the runtime and Node's I/O modules are out of reach.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/adapters/**', '**/runtime/**', '**/cli/**'], message: 'core must not import I/O layers' },
            {
              group: [
                'kafkajs',
                'ioredis',
                'onnxruntime-node',
                'pino',
                'prom-client',
                '@kafkajs/*',
                'node:fs*',
                'node:net',
                'node:http',
                'node:child_process',
              ],
              message: 'core is pure: talk to the world through a port',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'core reads no environment; inject it' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'core reads no clock; inject one' },
      ],
    },
  },
  {
    // Configuration describes (topologies, connections); the adapters and runtimes consume those descriptions.
    files: ['src/config/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/adapters/**', '**/runtime/**', '**/backfill/**', '**/cli/**'],
              message: 'config describes; the layers that consume it import it, not the other way round',
            },
          ],
        },
      ],
    },
  },
  {
    // The backfill and the online runner are two runtimes over the same core: what both need lives in core.
    files: ['src/backfill/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/runtime/**'], message: 'shared by both runtimes: move it to core' }] },
      ],
    },
  },
);
