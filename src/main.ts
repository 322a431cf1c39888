import { buildApp } from './app.ts';
import { loadConfigOrExit } from './config.ts';
import { createLogger } from './logger.ts';
import { createServices } from './services.ts';
import { stopOnSignal } from './shutdown.ts';

const config = loadConfigOrExit();

const logger = createLogger(config.logLevel);
const services = await createServices(config, logger);
const app = buildApp(services);
const port = await app.start(config.port);
logger.info(
  { port, database: config.database.kind },
  `mlp listening on http://localhost:${port}/graphql (GraphiQL in a browser)`,
);

stopOnSignal(logger, () => app.stop());
