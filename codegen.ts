import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the operations the tests send, checked against the committed schema.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/**/*.ts', '!test/gql/**'],
  // Node runs the tests' TypeScript directly: imports need their `.ts` extension.
  importExtension: '.ts',
  generates: {
    'test/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string', JSON: 'unknown', File: 'File' },
      },
    },
  },
};

export default config;
