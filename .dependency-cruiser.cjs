// The module structure, checked in CI (`npm run check:deps`): what may import what.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No import cycle, type-only imports included: each module can be read on its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'modules-and-infra-take-dependencies-as-arguments',
      comment:
        'Modules and infrastructure are constructed with what they need (src/services.ts); they never reach for the request context or the composition root.',
      severity: 'error',
      from: { path: '^src/(modules|infra)/' },
      to: { path: '^src/(context|services)\\.ts$' },
    },
    {
      name: 'infra-knows-no-module',
      comment: 'Infrastructure serves the modules; it does not know them.',
      severity: 'error',
      from: { path: '^src/infra/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'config-stands-alone',
      comment:
        'config.ts reads the environment and declares its own types; it imports nothing of the code base.',
      severity: 'error',
      from: { path: '^src/config\\.ts$' },
      to: { path: '^src/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle of types is a cycle of understanding too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
