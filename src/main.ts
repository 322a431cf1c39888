import { buildApp } from './app.ts';
import { ConfigError, loadConfigOrExit } from './config.ts';
import { startTracing } from './infra/telemetry/start-tracing.ts';
import { createLogger } from './logger.ts';
import { createServices } from './services.ts';
import { stopOnSignal } from './shutdown.ts';

const config = loadConfigOrExit();

const tracing = await startTracing(config.tracing, 'mlp-api');
const logger = createLogger(config.logLevel, tracing);
const services = await createServices(config, logger, tracing).catch((error: unknown) => {
  // A configuration the services refuse (Redis saying no, an unsafe admin address) says why, not a stack.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
});
const app = buildApp(services);
const port = await app.start(config.port);
logger.info(
  { port, database: config.database.kind },
  `mlp listening on http://localhost:${port}/graphql (GraphiQL in a browser)`,
);

stopOnSignal(logger, () => app.stop());
