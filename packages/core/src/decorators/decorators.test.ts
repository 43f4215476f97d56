import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  createApp,
  describeService,
  RegistrationError,
  service,
  silentLogger,
  type ServiceDefinition,
} from '../index.js';
import { Command, OnEvent, Service } from './decorators.js';
import * as viaVitest from './decorators.fixture.js';

const here = dirname(fileURLToPath(import.meta.url));

function summary(def: ServiceDefinition) {
  return {
    name: def.name,
    handlers: def.handlers
      .map((h) => ({ kind: h.kind, contract: h.contract.name, service: h.service, options: h.options }))
      .sort((a, b) => a.contract.localeCompare(b.contract)),
  };
}

/** The fixture compiled by tsc itself, importing this package's source by absolute path. */
async function compiledByTsc(): Promise<typeof viaVitest> {
  const source = readFileSync(join(here, 'decorators.fixture.ts'), 'utf8').replace(
    "'@tandem/core'",
    JSON.stringify(join(here, '..', 'index.ts')),
  );
  const out = ts.transpileModule(source, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
    },
  });
  expect(out.outputText).toContain('__decorate');
  expect(out.outputText).toContain('design:paramtypes');
  const file = join(mkdtempSync(join(tmpdir(), 'tandem-tsc-')), 'fixture.mjs');
  writeFileSync(file, out.outputText);
  return (await import(/* @vite-ignore */ file)) as typeof viaVitest;
}

describe('decorators', () => {
  it('record the same registration under tsc, under vitest, and as plain functions', async () => {
    const byTsc = await compiledByTsc();
    const { Place, Get, Paid } = viaVitest;
    const plain = service('orders')
      .command(Place, async () => ({ id: 'x' }), { timeoutMs: 500 })
      .query(Get, async ({ id }) => ({ id }))
      .onEvent(Paid, async () => undefined, { group: 'orders-payments', retry: { attempts: 3 } });
    const expected = summary(plain);
    expect(summary(describeService(viaVitest.Orders))).toEqual(expected);
    expect(summary(describeService(new byTsc.Orders()))).toEqual(expected);
  });

  it('bind handlers to the instance', async () => {
    const def = describeService(new viaVitest.Orders());
    const place = def.handlers.find((h) => h.kind === 'command')!;
    expect(await place.fn({ sku: 'abc' }, undefined as never)).toEqual({ id: 'o-abc' });
  });

  it('fail at start for a class without @Service', async () => {
    class Plain {
      @Command(viaVitest.Place)
      async place() {
        return { id: '1' };
      }
    }
    const app = createApp({ services: [Plain], logger: silentLogger });
    await expect(app.start()).rejects.toThrow(/class Plain .* has no @Service/);
  });

  it('fail at start for a handler without a contract, naming the method and the likely cause', async () => {
    @Service('broken')
    class Broken {
      @Command(undefined as unknown as typeof viaVitest.Place)
      async place() {
        return { id: '1' };
      }
    }
    const error = await createApp({ services: [Broken], logger: silentLogger })
      .start()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistrationError);
    expect((error as Error).message).toMatch(
      /@Command on 'Broken.place' needs a command contract .* got undefined \(is the contract imported/,
    );
  });

  it('fail at start for a decorator on a property', async () => {
    @Service('props')
    class Props {
      @(OnEvent(viaVitest.Paid) as unknown as PropertyDecorator)
      handler = 1;
    }
    await expect(createApp({ services: [Props], logger: silentLogger }).start()).rejects.toThrow(
      /'Props.handler': it is not a method/,
    );
  });

  it('fail at start for two handlers of one command, naming both', async () => {
    const a = service('a').command(viaVitest.Place, async () => ({ id: '1' }));
    const b = service('b').command(viaVitest.Place, async () => ({ id: '2' }));
    await expect(createApp({ services: [a, b], logger: silentLogger }).start()).rejects.toThrow(
      /two handlers for command 'orders.place'.*service a.*service b/,
    );
  });

  it('fail at start for two handlers of one event in one group', async () => {
    const s = service('s')
      .onEvent(viaVitest.Paid, async function first() {})
      .onEvent(viaVitest.Paid, async function second() {});
    await expect(createApp({ services: [s], logger: silentLogger }).start()).rejects.toThrow(
      /two handlers for event 'payments.paid' in consumer group 's': first and second/,
    );
  });
});
