import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * How to reach rabbitmqctl: on this machine by default; for a broker in a container set
 * e.g. TANDEM_TEST_RABBITMQCTL="docker exec rabbitmq rabbitmqctl".
 */
const [command, ...prefixArgs] = (process.env.TANDEM_TEST_RABBITMQCTL ?? 'rabbitmqctl').split(/\s+/);

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run(command!, [...prefixArgs, ...args], { timeout: 60_000 });
  return stdout;
}

export async function rabbitmqctlAvailable(): Promise<void> {
  await rabbitmqctl('-q', 'status');
}

/** A vhost of its own, so that closing "all connections" of it touches no other suite. */
export async function createVhost(vhost: string, user = 'guest'): Promise<void> {
  await rabbitmqctl('add_vhost', vhost);
  await rabbitmqctl('set_permissions', '-p', vhost, user, '.*', '.*', '.*');
}

export async function deleteVhost(vhost: string): Promise<void> {
  await rabbitmqctl('delete_vhost', vhost);
}
