import { describe, expect, it } from 'vitest';
import { createApp, RegistrationError, service, silentLogger } from '../index.js';
import { Command, OnEvent, Service } from './decorators.js';
import { Paid, Place } from './decorators.fixture.js';

/** What an app with these services fails to start with. */
async function startFailure(services: unknown[], retry?: { attempts: number }): Promise<RegistrationError> {
  const app = createApp({ services: services as never[], logger: silentLogger, ...(retry ? { retry } : {}) });
  const error = await app.start().catch((e: unknown) => e);
  await app.stop();
  expect(error).toBeInstanceOf(RegistrationError);
  return error as RegistrationError;
}

describe('registration reports every mistake at once', () => {
  it('decorator mistakes, a missing @Service, an unnamed @Service(), duplicates and a bad retry, each with service and handler', async () => {
    @Service('broken')
    class Broken {
      @Command(undefined as unknown as typeof Place)
      async place() {
        return { id: '1' };
      }
    }
    class Plain {
      @Command(Place)
      async place() {
        return { id: '1' };
      }
    }
    // @ts-expect-error: what a user writes who forgets the name; JavaScript callers can too
    @Service()
    class Nameless {
      @OnEvent(Paid)
      async onPaid() {}
    }
    @Service('orders')
    class Orders {
      @Command(Place)
      async place() {
        return { id: '2' };
      }
    }
    const alsoOrders = service('more-orders').command(Place, async function placeAgain() {
      return { id: '3' };
    });
    @Service('shipping')
    class Shipping {
      @OnEvent(Paid, { retry: { attempts: 0 } })
      async onPaid() {}
    }
    const error = await startFailure([Broken, Plain, Nameless, Orders, alsoOrders, Shipping]);
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^service 'broken': @Command on 'Broken.place' needs a command contract/);
    expect(lines[1]).toBe(
      "class Plain is passed as a service but has no @Service('name') decorator (its handlers: Plain.place)",
    );
    expect(lines[2]).toMatch(/^class Nameless: @Service\(\) needs a name, e\.g\. @Service\('orders'\)/);
    expect(lines[3]).toBe(
      "two handlers for command 'orders.place': Orders.place (service orders) and placeAgain (service more-orders)",
    );
    expect(lines[4]).toBe("service 'shipping', handler Shipping.onPaid: retry.attempts must be an integer >= 1, got 0");
  });

  it("names the handler whose retry policy the app's own retry makes invalid", async () => {
    @Service('billing')
    class Billing {
      @OnEvent(Paid)
      async onPaid() {}
    }
    const error = await startFailure([Billing], { attempts: 0 });
    expect(error.message).toBe(
      "service 'billing', handler Billing.onPaid: retry.attempts must be an integer >= 1, got 0",
    );
  });

  it('refuses a service() with no name', async () => {
    const nameless = service('').command(Place, async () => ({ id: '1' }));
    const error = await startFailure([nameless]);
    expect(error.message).toMatch(/^service\(""\) needs a name, e\.g\. service\('orders'\)/);
  });
});
