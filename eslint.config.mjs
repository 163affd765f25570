import tseslint from 'typescript-eslint';

const libPatterns = [{ group: ['@godel/*/src/*', '**/libs/*/src/*'], message: 'import a lib through its index (@godel/x)' }];
const appPatterns = [{ group: ['**/godel/src/runtime/build-runtime'], message: 'import buildRuntime from the server\'s index (apps/godel/src)' }];
const testingPattern = { group: ['@godel/testing'], message: 'production code must not import test fixtures (@godel/testing); only *.spec.ts, *.int-spec.ts, test/, bench/ and libs/testing may' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-imports': ['error', { patterns: [...libPatterns, ...appPatterns, testingPattern] }],
    },
  },
  {
    // Tests, benches and the fixtures lib itself may use @godel/testing; production code may not.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'libs/testing/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...libPatterns, ...appPatterns] }],
    },
  },
  {
    files: ['libs/scripted-model/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*', 'ioredis', 'typeorm', 'bullmq', 'pg', '@godel/*'], message: 'libs/scripted-model depends on node built-ins and yaml only' }] },
      ],
    },
  },
  {
    files: ['libs/actors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*', 'ioredis', 'typeorm', 'bullmq', 'redlock', 'pg', '@godel/*'], message: 'libs/actors is framework-free' }] },
      ],
    },
  },
  {
    files: ['libs/workspace/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*', 'ioredis', 'typeorm', 'bullmq', 'pg', '@godel/*'], message: 'libs/workspace uses node built-ins, git and async-mutex only' }] },
      ],
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['libs/config/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through @godel/config' }],
    },
  },
  {
    // Typed protocols (issue 10): no `x as unknown as T` in libs/ — a message payload is read through its
    // kind's `messages.ts` union (`messageOf`, `ActorRef<M>`), other values through a type guard or `Reflect.get`.
    files: ['libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "TSAsExpression > TSAsExpression.expression[typeAnnotation.type='TSUnknownKeyword']", message: 'no double cast through unknown in libs/: type the message (messages.ts, messageOf) or narrow the value' },
      ],
    },
  },
);
