import { describe, expect, it } from 'vitest';
import { consoleCommand } from './console.js';
import { main } from './main.js';
import { captureIo } from './io.fixture.js';

const io = captureIo;

describe('tandem console', () => {
  it('names the flag of a usage mistake, with exit code 2', async () => {
    const none = io();
    expect(await main(['console'], none.io)).toBe(2);
    expect(none.err.join('')).toContain('--app URL is required');
    const port = io();
    expect(await main(['console', '--app', 'http://127.0.0.1:3000', '--port', 'http'], port.io)).toBe(2);
    expect(port.err.join('')).toContain("--port 'http' is not a port number");
    const unknown = io();
    expect(await main(['console', '--apps', 'http://127.0.0.1:3000'], unknown.io)).toBe(2);
    expect(unknown.err.join('')).toContain("unknown option '--apps'; see 'tandem console --help'");
  });

  it('says how to install @tandem/console when it is missing', async () => {
    const notInstalled = Object.assign(new Error("Cannot find package '@tandem/console'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const run = consoleCommand({ load: () => Promise.reject(notInstalled), stopped: () => Promise.resolve() });
    await expect(run(['--app', 'http://127.0.0.1:3000'], io().io)).rejects.toMatchObject({
      code: 'TANDEM_CONFIG',
      message: 'tandem console needs @tandem/console; install it with npm install @tandem/console',
    });
  });

  it('starts the local console with the flags, prints where, and closes it when stopped', async () => {
    const seen: unknown[] = [];
    let closed = false;
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const load = () =>
      Promise.resolve({
        startLocalConsole: (options: unknown) => {
          seen.push(options);
          return Promise.resolve({
            url: 'http://127.0.0.1:4401/',
            apps: ['http://127.0.0.1:3000', 'http://***@10.0.0.2:3000'],
            close: () => {
              closed = true;
              return Promise.resolve();
            },
          });
        },
      });
    const run = io();
    const code = consoleCommand({ load, stopped: () => stopped })(
      ['--app', 'http://127.0.0.1:3000', '--app', 'http://ops:pw@10.0.0.2:3000', '--port', '4401'],
      run.io,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([
      { apps: ['http://127.0.0.1:3000', 'http://ops:pw@10.0.0.2:3000'], port: 4401, allowRemote: false },
    ]);
    expect(run.out.join('')).toContain('listening on http://127.0.0.1:4401/');
    expect(run.out.join('')).toContain('http://127.0.0.1:4401/apps/1/  http://***@10.0.0.2:3000');
    expect(closed).toBe(false);
    stop();
    expect(await code).toBe(0);
    expect(closed).toBe(true);
  });
});
