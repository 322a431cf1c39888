import { buildApp } from './app.ts';
import { loadConfigOrExit } from './config.ts';
import { createLogger } from './logger.ts';
import { createServices } from './services.ts';

const config = loadConfigOrExit();

const logger = createLogger(config.logLevel);
const services = await createServices(config, logger);
const app = buildApp(services);
const port = await app.start(config.port);
logger.info(
  { port, database: config.database.kind },
  `mlp listening on http://localhost:${port}/graphql (GraphiQL in a browser)`,
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
