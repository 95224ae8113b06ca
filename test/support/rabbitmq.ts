import { execFileSync } from 'node:child_process';

/** The RabbitMQ the event tests use: TEST_AMQP_URL, else AMQP_URL, else the local default. */
export const TEST_AMQP_URL = process.env.TEST_AMQP_URL ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const PROBE = `
const amqp = require('amqplib');
amqp.connect(process.argv[1], { timeout: 2000 }).then((c) => c.close()).then(() => process.exit(0), () => process.exit(1));`;

/**
 * Whether that broker answers, decided synchronously (in a child process) so `describe.skipIf`
 * can use it: a developer's fresh machine has no RabbitMQ, and those tests then skip.
 */
export const rabbitmqAvailable: boolean = (() => {
  try {
    execFileSync(process.execPath, ['-e', PROBE, TEST_AMQP_URL], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
})();
