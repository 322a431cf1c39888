import { buildApp } from './app.ts';
import { loadConfigOrExit } from './config.ts';
import { createLogger } from './logger.ts';
import { AdminBootstrapError } from './modules/users/user.service.ts';
import { createServices } from './services.ts';
import { stopOnSignal } from './shutdown.ts';

const config = loadConfigOrExit();

const logger = createLogger(config.logLevel);
const services = await createServices(config, logger).catch((error: unknown) => {
  // A refusal to start says why in one line, not a stack trace.
  if (!(error instanceof AdminBootstrapError)) throw error;
  logger.fatal(error.message);
  process.exit(1);
});
const app = buildApp(services);
const port = await app.start(config.port);
logger.info(
  { port, database: config.database.kind },
  `mlp listening on http://localhost:${port}/graphql (GraphiQL in a browser)`,
);

stopOnSignal(logger, () => app.stop());
